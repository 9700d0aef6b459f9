"""An Oracle stand-in at python-oracledb's boundary, for tests that run without a database.

A kinder stand-in than the driver hides bugs, so this one keeps the rules the service
depends on, each with its source (python-oracledb 26, thin mode; paths in its repository):

- Tables come from the migrations' own DDL (`alembic upgrade head --sql`): their column
  types, NOT NULL, defaults, identity keys, primary keys, unique and check constraints.
- A value bound by value is typed from its Python type, as `OracleMetadata.from_value`
  does (src/oracledb/impl/base/metadata.pyx): `datetime` and `date` bind as DATE, which
  holds no fractional seconds (`encode_date`, impl/base/encoders.pyx), unless
  `setinputsizes` declared DB_TYPE_TIMESTAMP; numbers bind as NUMBER, from `str(value)`,
  refused with DPY-4014 past 172 characters and DPY-4003 past 40 significant digits or
  outside 1e-130..1e126, or a zero whose point its text puts outside that range
  (`encode_number`, impl/base/encoders.pyx).
- Oracle keeps a NUMBER(P, S) rounded to S places and refuses more than P - S integer
  digits (ORA-01438); a VARCHAR2(N CHAR) refuses more than N characters or 4000 bytes
  (ORA-12899) and stores '' as NULL; NOT NULL, unique and check constraints raise
  ORA-01400, ORA-00001 and ORA-02290 (SQL Language Reference, "Data Types", "Nulls").
- What a column gives back is what the driver gives (impl/base/cursor.pyx, metadata.pyx,
  impl/base/decoders.pyx): NUMBER as Decimal with `fetch_decimals`, built from digits
  with no exponent and no trailing fractional zeros; otherwise int for scale 0, float
  else; DATE and TIMESTAMP as datetime. RETURNING ... INTO gives each variable a list,
  one value per row, typed by the variable (impl/thin/messages/base.pyx).
- Errors are built as the thin driver builds them (`_Error(message, code=...)`, then its
  `exc_type`; impl/thin/messages/base.pyx), so their class and `full_code` are the
  driver's, ORA codes it turns into DPY ones included (errors.py ERR_ORACLE_ERROR_XREF).
- Writes stay uncommitted until `commit()`, or `autocommit` at the statement; a connection
  given back to the pool rolls back what it left uncommitted. Not kept: an uncommitted
  write is in the shared tables at once, so other connections see it, and a unique key
  another connection's uncommitted row holds is refused at once (ORA-00001), where
  Oracle shows others only what is committed and makes such a write wait for the other
  transaction. The service's writes commit with their own statement, so no other call
  comes between a write and its commit; code of your own that holds a transaction open
  over several statements has the integration suite to show what Oracle does.
- A pool opens a connection (a login) when it has none idle. A login takes
  `login_latency` (0 or more: in the asyncio API it is awaited either way), and other
  callers reach the pool meanwhile, each to log in for itself, in turn: the thin pool's
  background task logs in once for each request it finds waiting, one after another
  (`_bg_task_func`, `_process_request`), and an acquire awaits its request. With refused
  credentials, each acquire fails with the server's ORA error itself, and once no request
  waits, the open pool tries once more to grow, a login that fails unseen: a refused
  request leaves `_num_to_create` as it was, and only that failed growth sets it to 0
  (impl/thin/pool.pyx, `_post_process_request`, `_post_create_conn_impl`;
  tests/pool/test_1000_pool.py); creating the pool would try one more. The service
  creates its pool only once Oracle has accepted a login, and with no minimum (bridge.py),
  so a stand-in pool, like it, logs in only for a caller.
- Each statement a connection keeps in its statement cache holds its cursor open in the
  session; the cache keeps the `stmtcachesize` statements last run, closing the cursor of
  the one it drops with the next round trip, and the driver bounds it by nothing else
  (`StatementCache`, impl/thin/statement_cache.pyx). A query keeps there the fetch
  variables its first run built, so later runs read NUMBER as that one did, whatever their
  `fetch_decimals` (`_preprocess_query`, impl/thin/messages/base.pyx). Oracle refuses
  the statement that would open one cursor more than OPEN_CURSORS (ORA-01000), which the
  driver reads at login (`max_open_cursors`, impl/thin/connection.pyx). A pool runs its
  session callback on each connection it opened, as it first lends it
  (`invoke_on_connect_callbacks`, impl/base/connection.pyx).
- A closed pool lends nothing: an acquire, or a caller still waiting for its login, ends
  with DPY-1002, and a login under way is finished (`fulfill`, `_close_helper` and
  `_bg_task_func`, impl/thin/pool.pyx). A connection lent when the pool was closed fails
  to go back with ValueError, as thin mode's does while its close is under way (the close
  emptied the busy list `_return_connection_helper` removes it from), a window no test can
  time: closing a pool under a call is the bug either way. Not kept: a caller waiting for
  a full pool to give a connection back waits out `wait_timeout`, where thin mode's ends
  with DPY-1002 at the close.

Each round trip (execute, commit, ping) holds its thread for `latency` seconds. A statement
of a shape the service does not use fails loudly rather than passing unchecked. Not kept:
a server that takes request boundaries (23ai and later) has the pool end each request that
made a round trip with a rollback when its connection goes back, one round trip more
(`_end_request`, impl/thin/connection.pyx); a stand-in connection goes back at once, as on
servers before 23ai, unless it has work to roll back.

Past the call timeout a round trip ends as thin mode ends it (impl/thin/protocol.pyx,
`_process_message`; `_process_timeout_helper` in the asyncio API): the driver sends a
break, and waits for its answer for as long again. An Oracle that is only slow (`latency`
past the call timeout) answers the break at once: DPY-4024, the connection usable. A
silent one (`silent`: a hung instance, or a network that drops every packet) answers
nothing: the driver closes the connection after twice the call timeout, DPY-4011, and
the pool drops it when it is given back (`_return_connection_helper`, impl/thin/pool.pyx).
"""

import asyncio
import datetime as dt
import errno
import io
import itertools
import math
import re
import threading
import time
import warnings
from collections.abc import Callable, Container, Generator, Iterable, Iterator
from concurrent.futures import Future
from contextlib import redirect_stderr
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_UP, Context, Decimal
from enum import Enum
from functools import cache, partial
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, TypedDict, TypeVar, Unpack, cast

import oracledb
from oracledb import errors

if TYPE_CHECKING:
    from alembic.config import Config

PROJECT = Path(__file__).resolve().parents[1]
# Decimal arithmetic at Oracle's 40 digits and more: Python's default context rounds to 28
# (abs, normalize and quantize included), which no NUMBER does.
DIGITS = Context(prec=100)
Row = dict[str, Any]


def oracle_error(code: int, message: str) -> oracledb.Error:
    """A database error as the thin driver raises it for `ORA-<code>`."""
    error = errors._Error(f"ORA-{code:05d}: {message}", code=code)
    return cast(oracledb.Error, error.exc_type(error))


def taken(constraint: str, table: str, column: str, value: object) -> str:
    """ORA-00001's text as Oracle 23ai, the integration suite's, gives it: with a line of
    details (ERROR_MESSAGE_DETAILS, on by default) that holds the taken value itself."""
    given = f"'{value}'" if isinstance(value, str) else str(value)
    return (
        f"unique constraint (APP.{constraint.upper()}) violated on table APP.{table.upper()}"
        f" columns ({column.upper()})\nORA-03301: (ORA-00001 details) row with column values"
        f" ({column.upper()}:{given}) already exists"
    )


def error_with_code(full_code: str, message: str) -> oracledb.Error:
    """The error the driver raises with `full_code` ("ORA-00001" or "DPY-4011")."""
    if full_code.startswith("ORA-"):
        return oracle_error(int(full_code[4:]), message)
    error = errors._Error(f"{full_code}: {message}")
    return cast(oracledb.Error, error.exc_type(error))


def grace(days: int) -> errors._Error:
    """What a login in a password's grace period comes with, as its connection's `warning`:
    ORA-28002, not raised (python-oracledb's Connection.warning; its tests/ext/
    test_ext_1700)."""
    warning = oracle_error(28002, f"the password will expire within {days} days")
    return cast(errors._Error, warning.args[0])


class ProcessCrash(SystemExit):
    """What python-oracledb does to the whole process where a stand-in raises this (a
    segmentation fault): nothing the service could catch. No `except Exception` hides it,
    and asyncio lets it out of any task and the loop, so the test running fails."""


def driver_error(number: int, **args: Any) -> oracledb.Error:
    """A DPY error as the driver raises it (DPY-4003 is `ERR_ORACLE_NUMBER_NO_REPR`)."""
    return cast(oracledb.Error, errors._create_exception(number, **args))


# --- The tables, read from the migrations' DDL ------------------------------------------


@dataclass(frozen=True)
class Column:
    name: str
    type: str  # NUMBER, VARCHAR2, DATE or TIMESTAMP
    precision: int | None = None
    scale: int | None = None
    length: int | None = None
    # VARCHAR2(N CHAR) counts characters; VARCHAR2(N), with NLS_LENGTH_SEMANTICS=BYTE, the
    # database default, bytes. sa.String(N) writes CHAR; a hand-written revision may not.
    length_in_bytes: bool = False
    nullable: bool = True
    identity: bool = False
    default: Any = None


@dataclass(frozen=True)
class Between:
    """The values a check `column BETWEEN low AND high` allows, both ends included."""

    low: Decimal
    high: Decimal

    def __contains__(self, value: object) -> bool:
        return isinstance(value, Decimal) and self.low <= value <= self.high


# The ten days of Python's calendar that Oracle's lacks (the revisions' `in_both_calendars`;
# the other days it refuses, 29 February of 1500, 1400, ..., 100, no datetime holds).
NOT_IN_ORACLES_CALENDAR = (dt.date(1582, 10, 5), dt.date(1582, 10, 14))


def in_both_calendars(value: dt.datetime) -> bool:
    first, last = NOT_IN_ORACLES_CALENDAR
    return not first <= value.date() <= last


class InBothCalendars:
    """The values a revision's `in_both_calendars` allows, alone or as the last part of a
    date's or a timestamp's check: a DATE or a TIMESTAMP not on 1582-10-05 to 1582-10-14."""

    def __contains__(self, value: object) -> bool:
        return isinstance(value, dt.datetime) and in_both_calendars(value)


class DateOnly:
    """The values a check `column = TRUNC(column) AND column >= DATE '0001-01-01'` allows: a
    DATE at midnight (a Python datetime has no year before 1)."""

    def __contains__(self, value: object) -> bool:
        return isinstance(value, dt.datetime) and value.time() == dt.time()


class FromYearOne:
    """The values a check `column >= TIMESTAMP '0001-01-01 00:00:00'` allows: any a Python
    datetime holds, whose years start at 1."""

    def __contains__(self, value: object) -> bool:
        return isinstance(value, dt.datetime)


@dataclass
class Table:
    name: str
    columns: dict[str, Column]
    unique: list[tuple[str, str]] = field(default_factory=list)  # constraint, column
    # The primary key's constraint and column; an identity gives each insert the next key,
    # which rows loaded with their keys (Data Pump, say) may have taken: ORA-00001.
    primary: tuple[str, str] | None = None
    # Constraint, column, and the values it allows: listed (IN), or a range (BETWEEN).
    checks: list[tuple[str, str, Container[Decimal]]] = field(default_factory=list)
    rows: dict[Decimal, Row] = field(default_factory=dict)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    # Unique column -> value -> key, as Oracle's unique index finds a duplicate without a
    # scan; it keeps the stand-in's own cost flat while a benchmark fills the table.
    index: dict[str, dict[Any, Decimal]] = field(default_factory=dict)
    in_key_order: bool = True  # identity keys only grow, so rows go in in key order
    # Key -> (columns, fetch_decimals) -> the fetched tuple: the driver decodes rows in
    # compiled code, so the stand-in keeps its own decoding out of the benchmark's way.
    fetched: dict[Decimal, dict[tuple[tuple[str, ...], bool], tuple[Any, ...]]] = field(
        default_factory=dict
    )
    # Statements whose every column the table has: Oracle parses each once, then shares it.
    parsed: set[str] = field(default_factory=set)
    # Every constraint's name: the primary key's, the unique and the check constraints'.
    constraints: set[str] = field(default_factory=set)

    def put(self, row: Row) -> None:
        key = row["id"]
        if key in self.rows:
            self.forget(self.rows[key])
        elif self.rows and key < next(reversed(self.rows)):
            self.in_key_order = False  # a deleted row put back by a rollback
        self.rows[key] = row
        for _, column in self.unique:
            if row[column] is not None:
                self.index.setdefault(column, {})[row[column]] = key

    def remove(self, key: Decimal) -> None:
        self.forget(self.rows.pop(key))

    def fetch(self, row: Row, columns: tuple[str, ...], decimals: bool) -> tuple[Any, ...]:
        cached = self.fetched.setdefault(row["id"], {})
        if (columns, decimals) not in cached:
            cached[columns, decimals] = tuple(
                fetch(self.columns[name], row[name], decimals=decimals) for name in columns
            )
        return cached[columns, decimals]

    def forget(self, row: Row) -> None:
        self.fetched.pop(row["id"], None)
        for _, column in self.unique:
            self.index.get(column, {}).pop(row[column], None)


COLUMN = re.compile(
    r"(?P<name>\w+) (?P<type>NUMBER|NUMERIC|VARCHAR2|DATE|TIMESTAMP)"
    r"(?:\((?P<size>\d+)(?P<char> CHAR)?(?:, ?(?P<scale>\d+))?\))?(?P<rest>.*)"
)
CONSTRAINT = re.compile(r"CONSTRAINT (\w+) ")
# A column's DEFAULT: a number, a quoted string ('' a quote), or a DATE literal.
DEFAULT = re.compile(r"DEFAULT (-?[\d.]+|'(?:[^']|'')*'|DATE '[\d-]+')")
UNIQUE = re.compile(r"CONSTRAINT (\w+) UNIQUE \((\w+)\)")
PRIMARY = re.compile(r"CONSTRAINT (\w+) PRIMARY KEY \((\w+)\)")
CHECK_IN = re.compile(r"CONSTRAINT (\w+) CHECK \((\w+) IN \(([^)]*)\)\)")
# Unnamed, it has the name Oracle gives it, SYS_C and a number.
SYSTEM_NAMES = itertools.count(8000)
# The calendar's part of a date's or a timestamp's check (a revision's `in_both_calendars`),
# on the column the pattern's second group names.
IN_BOTH_CALENDARS = (
    r"NOT \(EXTRACT\(YEAR FROM \2\) = 1582 AND EXTRACT\(MONTH FROM \2\) = 10"
    r" AND EXTRACT\(DAY FROM \2\) BETWEEN 5 AND 14\) AND NOT \(EXTRACT\(MONTH FROM \2\) = 2"
    r" AND EXTRACT\(DAY FROM \2\) = 29 AND MOD\(EXTRACT\(YEAR FROM \2\), 400\)"
    r" IN \(100, 200, 300\)\)"
)
# A date's or a timestamp's check, as a revision writes it: with the calendar's part since
# that was added, without it before.
CHECK_DATE_ONLY = re.compile(
    r"(?:CONSTRAINT (\w+) )?CHECK \((\w+) = TRUNC\(\2\) AND \2 >= DATE '0001-01-01'"
    rf"(?P<calendar> AND {IN_BOTH_CALENDARS})?\)"
)
CHECK_FROM_YEAR_ONE = re.compile(
    r"(?:CONSTRAINT (\w+) )?CHECK \((\w+) >= TIMESTAMP '0001-01-01 00:00:00'"
    rf"(?P<calendar> AND {IN_BOTH_CALENDARS})?\)"
)
# The calendar's part alone, as the revision the template's docs/updating.md gives a table
# made before it adds it: the column is named first in its first EXTRACT.
CHECK_CALENDAR = re.compile(
    r"(?:CONSTRAINT (\w+) )?CHECK \(" + IN_BOTH_CALENDARS.replace(r"\2", r"(\w+)", 1) + r"\)"
)
CHECK_BETWEEN = re.compile(
    r"(?:CONSTRAINT (\w+) )?CHECK \((\w+) BETWEEN (-?[0-9]+) AND (-?[0-9]+)\)"
)


@cache
def migration_ddl() -> str:
    """The upgrade script the migrations give, as a DBA would run it.

    Alembic (and SQLAlchemy with it) is imported here, not with this module: a process
    that is given its tables (`StandInDatabase(ddl)`) never loads them.
    """
    from alembic import command
    from alembic.config import Config

    config = Config(str(PROJECT / "alembic.ini"), output_buffer=io.StringIO())
    config.attributes["configure_logger"] = False
    check_one_line_of_revisions(config)
    with redirect_stderr(io.StringIO()):
        command.upgrade(config, "head", sql=True)
    return cast(io.StringIO, config.output_buffer).getvalue()


def check_one_line_of_revisions(config: "Config") -> None:
    """Fail, saying how to mend it, where the revisions are no single line. Two causes: a
    resource added before others in `resources` begins a line of its own, as the first
    resource's revision does, and an update never rewrites the revisions it wrote before;
    or a resource added after revisions of your own revises the last resource's, as one
    of yours does, and the line forks there."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(config)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Alembic's warning before its KeyError
        try:
            heads = scripts.get_heads()
        except KeyError as gap:
            # What scripts/migrate says too (migrations/env.py, check_the_chain).
            raise AssertionError(
                f"a revision revises {gap.args[0]!r}, which no file in migrations/versions "
                "is: the update that removed its resource deleted it. Take it back "
                "(the template's docs/updating.md, Removing a resource)"
            ) from None
    if len(heads) < 2:
        return
    named = f"the migrations have {len(heads)} heads ({', '.join(sorted(heads))}), and "
    bases = scripts.get_bases()
    if len(bases) > 1:
        raise AssertionError(
            f"{named}scripts/migrate upgrades to one: a resource was added before the last "
            f"one in `resources`, and its revision begins a line of its own (the lines "
            f"begin at {', '.join(sorted(bases))}). Undo that update and make it again with "
            "the new resource at the end of `resources` (the template's docs/updating.md, "
            "Adding a resource)"
        )
    raise AssertionError(
        f"{named}scripts/migrate upgrades to one: two revisions revise the same one, as a "
        "resource added after revisions of your own does. Join them once with `uv run "
        'alembic merge heads -m "merge"` and commit the merge revision '
        "(the template's docs/updating.md, Adding a resource)"
    )


# Statements of the upgrade script that leave the tables' shape as it is.
PASSED_OVER = (
    "WHENEVER ",
    "DECLARE",
    "BEGIN",
    "ALTER SESSION ",
    "COMMIT",
    "CREATE INDEX ",
    "ALTER INDEX ",
)
# And those, of your own revisions too, that leave every table's shape as it is, in any case
# as you write them: the data's (alembic_version's, an UPDATE that copies a column into its
# new one, seed rows; the stand-in's tables start with no rows, as the tests make theirs),
# grants, comments, views, sequences, synonyms and the dropping of an index.
SHAPE_KEPT = re.compile(
    r"(INSERT|UPDATE|DELETE|MERGE|GRANT|REVOKE|COMMENT ON"
    r"|CREATE (OR REPLACE )?((NO)?FORCE )?((NON)?EDITIONABLE )?VIEW|DROP VIEW"
    r"|(CREATE|ALTER|DROP) SEQUENCE|(CREATE (OR REPLACE )?|DROP )(PUBLIC )?SYNONYM"
    r"|DROP INDEX)\s",
    re.IGNORECASE,
)
CREATE_TABLE = re.compile(r"CREATE TABLE (\w+) \((.*?)\n\)", re.DOTALL)
ADD = re.compile(r"ALTER TABLE (\w+) ADD (.*)", re.DOTALL)
MODIFY = re.compile(r"ALTER TABLE (\w+) MODIFY (\w+) ?(.*)", re.DOTALL)
DROP_COLUMN = re.compile(r"ALTER TABLE (\w+) DROP COLUMN (\w+)")
RENAME_COLUMN = re.compile(r"ALTER TABLE (\w+) RENAME COLUMN (\w+) TO (\w+)")
DROP_CONSTRAINT = re.compile(r"ALTER TABLE (\w+) DROP CONSTRAINT (\w+)")
DROP_TABLE = re.compile(r"DROP TABLE (\w+)")
RENAME_TABLE = re.compile(r"ALTER TABLE (\w+) RENAME TO (\w+)")
RENAME_CONSTRAINT = re.compile(r"ALTER TABLE (\w+) RENAME CONSTRAINT (\w+) TO (\w+)")


def tables_from_ddl(ddl: str) -> dict[str, Table]:
    """The tables an upgrade script leaves, statement by statement (`/` ends each, as the
    offline script writes them): the generated revisions' CREATE TABLE, and what your own
    write with `op.add_column`, `op.drop_column`, `op.alter_column` (a size, NULL or NOT
    NULL, a new name), `op.create_unique_constraint`, `op.drop_constraint`,
    `op.rename_table`, `op.drop_table`, and a constraint's or an index's RENAME; what
    leaves the tables' shape as it is, such as an UPDATE that copies a column, is passed
    over (SHAPE_KEPT). Any other statement fails here, loudly, rather than leaving the
    stand-in wrong; and so does one Oracle refuses, with Oracle's error."""
    tables: dict[str, Table] = {}
    for statement in re.split(r"^/$", ddl, flags=re.MULTILINE):
        lines = [line for line in statement.splitlines() if not line.lstrip().startswith("--")]
        text = "\n".join(lines).strip()
        if not text or text.startswith(PASSED_OVER) or SHAPE_KEPT.match(text):
            continue
        if match := CREATE_TABLE.match(text):
            table = tables[match[1]] = Table(match[1], {})
            for line in match[2].splitlines():
                define(table, line.strip().rstrip(",").strip())
        elif match := DROP_COLUMN.fullmatch(text):
            table = tables[match[1]]
            column_of(table, match[2])
            del table.columns[match[2]]
            table.unique = [(name, column) for name, column in table.unique if column != match[2]]
            table.checks = [check for check in table.checks if check[1] != match[2]]
        elif match := RENAME_COLUMN.fullmatch(text):
            table, old, new = tables[match[1]], match[2], match[3]
            column_of(table, old)
            table.columns = {
                new if name == old else name: replace(column, name=new) if name == old else column
                for name, column in table.columns.items()
            }
            table.unique = [
                (name, new if column == old else column) for name, column in table.unique
            ]
            table.checks = [
                (name, new if column == old else column, allowed)
                for name, column, allowed in table.checks
            ]
        elif match := DROP_CONSTRAINT.fullmatch(text):
            table, constraint = tables[match[1]], match[2]
            if constraint not in table.constraints:
                # A renamed column keeps its constraints' names: `_uk` is still the old one's.
                raise oracle_error(2443, "Cannot drop constraint  - nonexistent constraint")
            table.constraints.discard(constraint)
            table.unique = [unique for unique in table.unique if unique[0] != constraint]
            table.checks = [check for check in table.checks if check[0] != constraint]
        elif match := MODIFY.fullmatch(text):
            modify(tables[match[1]], match[2], match[3].strip())
        elif match := ADD.fullmatch(text):
            define(tables[match[1]], match[2].strip())
        elif match := DROP_TABLE.fullmatch(text):
            del tables[match[1]]
        elif match := RENAME_TABLE.fullmatch(text):
            tables[match[2]] = replace(tables.pop(match[1]), name=match[2])
        elif match := RENAME_CONSTRAINT.fullmatch(text):
            rename_constraint(tables[match[1]], match[2], match[3])
        else:
            raise NotImplementedError(
                f"the stand-in does not read this DDL: {text[:200]} (it reads what "
                "tests/standins.py, tables_from_ddl, lists)"
            )
    return tables


def modify(table: Table, name: str, change: str) -> None:
    """ALTER TABLE ... MODIFY, as `op.alter_column` writes it: a type, a default, NULL or
    NOT NULL. Oracle changes only what it names; the rest of the column stays as it was."""
    column = column_of(table, name)
    if change in ("NULL", "NOT NULL"):
        if column.nullable == (change == "NULL"):  # Oracle refuses to change nothing
            code, reason = (1451, "to be modified to NULL cannot be modified to NULL")
            if change == "NOT NULL":
                code, reason = (1442, "to be modified to NOT NULL is already NOT NULL")
            raise oracle_error(code, f"column {reason}")
        table.columns[name] = replace(column, nullable=change == "NULL")
    elif default := DEFAULT.fullmatch(change):
        table.columns[name] = replace(column, default=default_value(default[1]))
    elif COLUMN.fullmatch(f"{name} {change}"):
        define(table, f"{name} {change}")
        changed = table.columns[name]
        table.columns[name] = replace(
            changed,
            nullable=changed.nullable if "NULL" in change else column.nullable,
            default=changed.default if "DEFAULT" in change else column.default,
            identity=column.identity,
        )
    else:
        raise NotImplementedError(f"the stand-in does not read this change: {change}")


def rename_constraint(table: Table, old: str, new: str) -> None:
    if old not in table.constraints:
        raise oracle_error(23292, "The constraint does not exist")
    if new in table.constraints:
        raise oracle_error(2264, "name already used by an existing constraint")
    table.constraints = table.constraints - {old} | {new}
    table.unique = [(new if name == old else name, column) for name, column in table.unique]
    if table.primary is not None and table.primary[0] == old:
        table.primary = (new, table.primary[1])
    table.checks = [
        (new if name == old else name, column, allowed) for name, column, allowed in table.checks
    ]


def column_of(table: Table, name: str) -> Column:
    """The table's column `name`; ORA-00904 if it has none."""
    if name not in table.columns:
        raise oracle_error(904, f'"{name.upper()}": invalid identifier')
    return table.columns[name]


def default_value(text: str) -> Any:
    """A DEFAULT's value: a number, a string, or a DATE literal's day. Oracle stores an
    empty string as NULL (SQL Language Reference, "Nulls"), so `DEFAULT ''` is NULL."""
    if text.startswith("'"):
        return text[1:-1].replace("''", "'") or None
    if text.startswith("DATE"):
        return dt.datetime.fromisoformat(text.split("'")[1])
    return Decimal(text)


def define(table: Table, line: str) -> None:
    """Add a column or a constraint, as a line of CREATE TABLE or ALTER TABLE ADD has it."""
    if match := CONSTRAINT.match(line):
        if match[1] in table.constraints:
            raise oracle_error(2264, "name already used by an existing constraint")
        table.constraints.add(match[1])
    if match := PRIMARY.fullmatch(line):
        table.primary = (match[1], match[2])
    elif match := UNIQUE.fullmatch(line):
        table.unique.append((match[1], match[2]))
    elif match := CHECK_IN.fullmatch(line):
        allowed = tuple(Decimal(value) for value in match[3].split(","))
        table.checks.append((match[1], match[2], allowed))
    elif match := CHECK_BETWEEN.fullmatch(line):
        name = match[1] or f"sys_c{next(SYSTEM_NAMES):07d}"
        table.checks.append((name, match[2], Between(Decimal(match[3]), Decimal(match[4]))))
    elif match := (CHECK_DATE_ONLY.fullmatch(line) or CHECK_FROM_YEAR_ONE.fullmatch(line)):
        # One constraint: its name on each of its parts, the calendar's if it has one.
        name = match[1] or f"sys_c{next(SYSTEM_NAMES):07d}"
        first = DateOnly() if match.re is CHECK_DATE_ONLY else FromYearOne()
        table.checks.append((name, match[2], first))
        if match["calendar"]:
            table.checks.append((name, match[2], InBothCalendars()))
    elif match := CHECK_CALENDAR.fullmatch(line):
        name = match[1] or f"sys_c{next(SYSTEM_NAMES):07d}"
        table.checks.append((name, match[2], InBothCalendars()))
    elif (match := COLUMN.fullmatch(line)) and not line.startswith("CONSTRAINT"):
        rest, size, scale = match["rest"], match["size"], match["scale"]
        default = DEFAULT.search(rest)
        if default is None and "DEFAULT" in rest:
            raise NotImplementedError(f"the stand-in does not read this DEFAULT: {line}")
        column = Column(
            name=match["name"],
            type="NUMBER" if match["type"] == "NUMERIC" else match["type"],
            precision=int(size) if size and match["type"] != "VARCHAR2" else None,
            scale=int(scale or 0) if size and match["type"] != "VARCHAR2" else None,
            length=int(size) if size and match["type"] == "VARCHAR2" else None,
            length_in_bytes=match["type"] == "VARCHAR2" and not match["char"],
            nullable="NOT NULL" not in rest and "IDENTITY" not in rest,  # identity: NOT NULL
            identity="IDENTITY" in rest,
            default=default_value(default[1]) if default else None,
        )
        table.columns[column.name] = column


# --- Values: from Python to the wire, into a column, and back ---------------------------


@dataclass(frozen=True)
class Typed:
    """A bound value as the driver sends it: its Oracle type and value."""

    type: str  # NUMBER, VARCHAR2, DATE, TIMESTAMP, BOOLEAN, or NULL
    value: Any


DECLARED = {
    oracledb.DB_TYPE_TIMESTAMP: "TIMESTAMP",
    oracledb.DB_TYPE_DATE: "DATE",
    oracledb.DB_TYPE_NUMBER: "NUMBER",
    oracledb.DB_TYPE_VARCHAR: "VARCHAR2",
    dt.datetime: "TIMESTAMP",  # from_type: a declared datetime is a TIMESTAMP
}


def encode(value: Any, declared: object = None) -> Typed:
    """How python-oracledb sends `value`: typed by `declared`, else by its Python type."""
    if value is None:
        return Typed("NULL", None)
    kind = DECLARED.get(declared) if declared is not None else None
    if kind is None:
        if isinstance(value, bool):
            kind = "BOOLEAN"
        elif isinstance(value, int | Decimal):
            kind = "NUMBER"
        elif isinstance(value, dt.date):  # datetime too: from_value gives DATE
            kind = "DATE"
        elif isinstance(value, str):
            kind = "VARCHAR2"
        else:
            raise NotImplementedError(f"the stand-in does not bind {type(value).__name__}")
    if kind == "NUMBER":
        return Typed(kind, encode_number(value))
    if kind in ("DATE", "TIMESTAMP"):
        if not isinstance(value, dt.datetime):
            value = dt.datetime(value.year, value.month, value.day)
        # encode_date writes year to second; only a TIMESTAMP carries the fraction.
        return Typed(kind, value if kind == "TIMESTAMP" else value.replace(microsecond=0))
    return Typed(kind, value)


def encode_number(value: int | Decimal) -> Decimal:
    """The checks python-oracledb makes of a number's text as it encodes it
    (impl/base/encoders.pyx, encode_number), in its order: at most 172 characters, then at
    most 40 significant digits and the decimal point from 129 places below the first
    significant digit to 126 above it; a zero has no significant digit, and its point is
    checked all the same, before zero's special case."""
    text = str(value)
    if len(text) > 172:
        raise driver_error(errors.ERR_NUMBER_STRING_TOO_LONG)
    number = Decimal(text)
    _, digits, exponent = number.as_tuple()
    assert isinstance(exponent, int)  # the service binds no NaN or infinity
    significant = "".join(map(str, digits)).lstrip("0")
    point = len(significant) + exponent  # where the point is, from the first such digit
    if len(significant.rstrip("0")) > 40 or not -129 <= point <= 126:
        raise driver_error(errors.ERR_ORACLE_NUMBER_NO_REPR)
    return number


def store(table: Table, column: Column, typed: Typed) -> Any:
    """What Oracle keeps when `typed` is written to `column`."""
    if typed.type == "NULL" or (typed.type == "VARCHAR2" and typed.value == ""):
        return None  # Oracle holds a zero-length string as NULL
    where = f'"{table.name.upper()}"."{column.name.upper()}"'
    if column.type == "NUMBER" and typed.type == "NUMBER":
        if column.precision is None:
            return typed.value  # an unconstrained NUMBER keeps what it is given
        scale = column.scale or 0
        # Oracle rounds half away from zero.
        places = Decimal(1).scaleb(-scale)
        number = typed.value.quantize(places, ROUND_HALF_UP, context=DIGITS)
        if number.copy_abs() >= Decimal(10) ** (column.precision - scale):
            raise oracle_error(
                1438, "value larger than specified precision allowed for this column"
            )
        return number
    if column.type == "VARCHAR2" and typed.type == "VARCHAR2":
        actual = len(typed.value.encode() if column.length_in_bytes else typed.value)
        limit = column.length or 4000
        if actual > limit or len(typed.value.encode()) > 4000:
            raise oracle_error(
                12899, f"value too large for column {where} (actual: {actual}, maximum: {limit})"
            )
        return typed.value
    if column.type == "TIMESTAMP" and typed.type in ("DATE", "TIMESTAMP"):
        # A DATE becomes a TIMESTAMP with no fraction. TIMESTAMP(p) keeps p digits of a
        # second, rounded (SQL Language Reference, "TIMESTAMP Data Type"); 6 by default,
        # all a datetime has, as the revisions' columns are.
        step = 10 ** max(0, 6 - (6 if column.precision is None else column.precision))
        kept = (typed.value.microsecond + step // 2) // step * step
        return typed.value.replace(microsecond=0) + dt.timedelta(microseconds=kept)
    if column.type == "DATE" and typed.type == "DATE":
        return typed.value
    raise NotImplementedError(
        f"the stand-in does not convert {typed.type} to {column.type} ({where}); "
        "the service binds every column in its own type"
    )


def number_text(number: Decimal) -> str:
    """The text python-oracledb builds a NUMBER from: digits, no exponent, no trailing
    fractional zeros (decode_number, impl/base/decoders.pyx)."""
    text = format(number.normalize(DIGITS), "f")
    return "0" if text in ("-0", "0") else text


def fetch(column: Column, value: Any, *, decimals: bool) -> Any:
    """A column's value as a query gives it (fetch_decimals, or int for scale 0, or float)."""
    if value is None or column.type != "NUMBER":
        return value
    if decimals:
        return Decimal(number_text(value))
    if column.scale == 0 or (column.precision is None and value == value.to_integral()):
        return int(value)
    return float(value)


class Var:
    """cursor.var(): typed by what it was made for; after RETURNING, a list per row."""

    def __init__(self, kind: object) -> None:
        self.kind = kind
        self.values: list[Any] = []

    def getvalue(self, pos: int = 0) -> list[Any]:
        return self.values

    def receive(self, column: Column, value: Any) -> None:
        if value is None:
            self.values.append(None)
        elif self.kind is int:
            self.values.append(int(value))
        elif self.kind is Decimal:
            self.values.append(Decimal(number_text(value)))
        elif self.kind in (str, oracledb.DB_TYPE_VARCHAR):
            self.values.append(str(value))
        elif self.kind in (oracledb.DB_TYPE_DATE, oracledb.DB_TYPE_TIMESTAMP, dt.datetime):
            if column.type == "TIMESTAMP" and self.kind is oracledb.DB_TYPE_DATE:
                value = value.replace(microsecond=0)
            self.values.append(value)
        else:
            raise NotImplementedError(f"the stand-in has no variables of {self.kind!r}")


# --- Statements: the shapes the SQL modules use --------------------------------------

SELECT = re.compile(
    r"SELECT (?P<columns>.+?) FROM (?P<table>\w+)(?: WHERE (?P<where>.+?))?"
    r"(?: ORDER BY (?P<order>\w+))?"
    r"(?: OFFSET :(?P<offset>\w+) ROWS FETCH NEXT :(?P<limit>\w+) ROWS ONLY)?"
)
INSERT = re.compile(
    r"INSERT INTO (?P<table>\w+) \((?P<columns>.+?)\) VALUES \((?P<values>.+?)\)"
    r"(?: RETURNING (?P<returning>.+?) INTO (?P<into>.+))?"
)
UPDATE = re.compile(
    r"UPDATE (?P<table>\w+) SET (?P<set>.+?) WHERE (?P<where>.+?)"
    r"(?: RETURNING (?P<returning>.+?) INTO (?P<into>.+))?"
)
DELETE = re.compile(r"DELETE FROM (?P<table>\w+)(?: WHERE (?P<where>.+))?")


@cache
def parsed(statement: str) -> tuple[str, re.Match[str]]:
    """The statement's kind and parts; a shape the service does not use is refused."""
    text = re.sub(r"\( | \)", lambda match: match[0].strip(), " ".join(statement.split()))
    for kind, shape in [("SELECT", SELECT), ("INSERT", INSERT), ("UPDATE", UPDATE)]:
        if match := shape.fullmatch(text):
            return kind, match
    if match := DELETE.fullmatch(text):
        return "DELETE", match
    raise NotImplementedError(f"the stand-in does not run: {text}")


def names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",")]


def referenced(kind: str, match: re.Match[str]) -> list[str]:
    """The columns a statement names: a table without one of them fails to parse."""
    parts = match.groupdict()
    found = names(parts["columns"]) if kind in ("SELECT", "INSERT") else []
    if kind == "UPDATE":
        found += [assignment.split(" = ")[0].strip() for assignment in names(parts["set"])]
    if parts.get("where"):
        found += [term.split(" = ")[0].strip() for term in parts["where"].split(" AND ")]
    if parts.get("order"):
        found.append(parts["order"])
    if parts.get("returning"):
        found += names(parts["returning"])
    return found


class StandInDatabase:
    """The tables every pool of one test shares, behind one lock."""

    def __init__(self, ddl: str | None = None, *, open_cursors: int = 300) -> None:
        self.tables = tables_from_ddl(ddl if ddl is not None else migration_ddl())
        # OPEN_CURSORS: 300 in Oracle Free, as in any database DBCA creates; 50 is the
        # parameter's own default.
        self.open_cursors = open_cursors
        self.lock = threading.Lock()
        # Statement -> the binds' types as each write sent them: Oracle keeps a child
        # cursor of the statement for each (V$SQL_SHARED_CURSOR, BIND_MISMATCH).
        self.cursors: dict[str, set[tuple[tuple[str, str, int], ...]]] = {}

    def table(self, name: str) -> Table:
        if name not in self.tables:
            raise oracle_error(942, "table or view does not exist")
        return self.tables[name]


@cache
def placeholders(statement: str) -> frozenset[str]:
    """The names of a statement's bind placeholders, as the driver matches them: upper case."""
    return frozenset(name.upper() for name in re.findall(r":(\w+)", statement))


class StandInCursor:
    def __init__(self, connection: "StandInConnection") -> None:
        self.connection = connection
        self.statement: str | None = None
        self.arraysize = 100
        self.prefetchrows = 2
        self.rowfactory: Callable[..., Any] | None = None
        self.rowcount = 0
        self.rows: list[tuple[Any, ...]] = []
        self.input_sizes: dict[str, object] = {}

    def __enter__(self) -> "StandInCursor":
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    def var(self, kind: object, size: int = 0) -> Var:
        # The service gives no size: a string variable then holds 4000 (types.pyx, VARCHAR).
        return Var(kind)

    def setinputsizes(self, **sizes: object) -> None:
        self.input_sizes = sizes

    def prepare(self, statement: str, binds: dict[str, Any]) -> None:
        """What the driver does before the round trip: a statement other than the last
        prepared drops the cursor's rowfactory (`_prepare`, impl/base/cursor.pyx), and a
        value or input size for a name the statement has no placeholder for is DPY-4008
        (`_bind`, impl/thin/var.pyx)."""
        if statement != self.statement:
            self.statement, self.rowfactory = statement, None
        named = placeholders(statement)
        for name in (*binds, *self.input_sizes):
            if name.upper().removeprefix(":") not in named:
                raise driver_error(4008, name=name)

    def execute(
        self,
        statement: str,
        parameters: dict[str, Any] | None = None,
        *,
        fetch_decimals: bool | None = None,
        **keyword_parameters: Any,
    ) -> None:
        binds = (parameters or {}) | keyword_parameters
        self.prepare(statement, binds)
        state = self.connection
        if not state.pool.answers_late:
            state.round_trip()
        try:
            state.meet_limit()
            self.apply(statement, binds, fetch_decimals)
        finally:  # an answer, or Oracle's error, read in full unless lost on its way
            if state.pool.answers_late:
                state.round_trip()
            state.answer_read()

    def apply(self, statement: str, binds: dict[str, Any], fetch_decimals: bool | None) -> None:
        """What Oracle does with the statement, once its round trip has reached it. Without
        `fetch_decimals`, the cursor's, which it took from `oracledb.defaults`
        (impl/base/cursor.pyx)."""
        kind, match = parsed(statement)
        if fetch_decimals is None:
            fetch_decimals = oracledb.defaults.fetch_decimals
        query = kind == "SELECT"
        built = self.connection.open_cursor(statement, fetch_decimals if query else None)
        fetch_decimals = fetch_decimals if built is None else built
        database = self.connection.pool.database
        with database.lock:
            table = database.table(match["table"])
            if statement not in table.parsed:
                for name in referenced(kind, match):
                    if name not in table.columns:
                        raise oracle_error(904, f'"{name.upper()}": invalid identifier')
                table.parsed.add(statement)
            if kind == "SELECT":
                self.select(table, match, binds, fetch_decimals)
            elif kind == "INSERT":
                self.insert(table, match, binds)
            elif kind == "UPDATE":
                self.update(table, match, binds)
            else:
                self.delete(table, match, binds)
            if kind in ("INSERT", "UPDATE"):
                database.cursors.setdefault(statement, set()).add(self.bind_types(binds))
            if self.connection.autocommit:
                self.connection.undo.clear()  # the commit rides on this round trip
        self.input_sizes = {}

    def bind_types(self, binds: dict[str, Any]) -> tuple[tuple[str, str, int], ...]:
        """Each bind as the driver describes it to Oracle: its type, and for a string the
        range its length in bytes falls in (32, 128, 2000 or 4000: Oracle shares a cursor
        among the strings of one range). Declared by `setinputsizes`, a string is as long
        as declared, at most 4 bytes a character; by value, as long as it is, and None is
        a VARCHAR2 of one byte (OracleMetadata.from_value, impl/base/metadata.pyx)."""
        described = []
        for name, value in sorted(binds.items()):
            if isinstance(value, Var):
                continue  # RETURNING INTO: typed by its variable, the same every time
            declared = self.input_sizes.get(name)
            if isinstance(declared, int):
                kind, size = "VARCHAR2", 4 * declared
            elif declared is not None:
                kind, size = DECLARED[declared], 0
            elif value is None:
                kind, size = "VARCHAR2", 1
            elif isinstance(value, str):
                kind, size = "VARCHAR2", len(value.encode())
            else:
                kind, size = encode(value).type, 0
            if kind == "VARCHAR2":
                size = next(limit for limit in (32, 128, 2000, 4000, size) if size <= limit)
            described.append((name, kind, size))
        return tuple(described)

    # Reads

    def matching(self, table: Table, where: str | None, binds: dict[str, Any]) -> Iterable[Row]:
        if where is None:
            return table.rows.values()
        # Compared as Oracle compares: a value no column could hold simply matches nothing.
        terms = [term.split(" = ") for term in where.split(" AND ")]
        wanted = {column: self.bound(bind, binds).value for column, bind in terms}
        # By primary key, a lookup, as Oracle's index on it is.
        candidates = [table.rows[wanted["id"]]] if wanted.get("id") in table.rows else []
        return [
            row
            for row in (candidates if "id" in wanted else table.rows.values())
            if all(row[column] == value for column, value in wanted.items())
        ]

    def select(
        self, table: Table, match: re.Match[str], binds: dict[str, Any], decimals: bool
    ) -> None:
        rows = self.matching(table, match["where"], binds)
        order = match["order"]
        if order and not (order == "id" and table.in_key_order):
            rows = sorted(rows, key=lambda row: row[order])
        if match["offset"]:
            offset, limit = int(binds[match["offset"]]), int(binds[match["limit"]])
            rows = itertools.islice(rows, offset, offset + limit)
        columns = tuple(names(match["columns"]))
        self.rows = [table.fetch(row, columns, decimals) for row in rows]
        self.rowcount = 0
        # Rows past the first round trip's prefetch cost one more per `arraysize`.
        extra = max(0, len(self.rows) - self.prefetchrows)
        for _ in range(-(-extra // max(self.arraysize, 1))):
            self.connection.round_trip(sleep=False)

    def fetchall(self) -> list[Any]:
        rows, self.rows = self.rows, []
        self.rowcount += len(rows)
        return [self.rowfactory(*row) if self.rowfactory else row for row in rows]

    def fetchone(self) -> Any:
        if not self.rows:
            return None
        self.rowcount += 1
        row = self.rows.pop(0)
        return self.rowfactory(*row) if self.rowfactory else row

    # Writes

    def bound(self, bind: str, binds: dict[str, Any]) -> Typed:
        name = bind.strip().removeprefix(":")
        if name not in binds:
            raise driver_error(errors.ERR_MISSING_BIND_VALUE, name=name)
        return encode(binds[name], self.input_sizes.get(name))

    def check(self, table: Table, row: Row, key: Decimal | None) -> None:
        for column in table.columns.values():
            if row[column.name] is None and not column.nullable:
                where = f'("{table.name.upper()}"."{column.name.upper()}")'
                if key is None:
                    raise oracle_error(1400, f"cannot insert NULL into {where}")
                raise oracle_error(1407, f"cannot update {where} to NULL")
        for name, checked, allowed in table.checks:
            if row[checked] is not None and row[checked] not in allowed:
                raise oracle_error(2290, f"check constraint ({name.upper()}) violated")
        for name, unique in table.unique:
            holder = table.index.get(unique, {}).get(row[unique])
            if row[unique] is not None and holder is not None and holder != key:
                raise self.refused_by_index(taken(name, table.name, unique, row[unique]))

    def refused_by_index(self, text: str) -> oracledb.Error:
        """ORA-00001, which a unique index raises once the row is in the table: Oracle rolls
        the statement back, not the transaction that its change began, which stays open,
        and its commit does not ride on the answer (Database Concepts, "Statement-Level
        Rollback"). The driver reads so from the error's call status (`_process_call_status`
        before `_check_and_raise_exception`, impl/thin/protocol.pyx)."""
        self.connection.undo.append(lambda: None)
        return oracle_error(1, text)

    def returning(
        self, table: Table, match: re.Match[str], binds: dict[str, Any], rows: list[Row]
    ) -> None:
        if not match["returning"]:
            return
        for name, bind in zip(names(match["returning"]), names(match["into"]), strict=True):
            var = binds[bind.removeprefix(":")]
            if not isinstance(var, Var):
                raise NotImplementedError("RETURNING INTO needs a variable from cursor.var()")
            var.values = []
            for row in rows:
                var.receive(table.columns[name], row[name])

    def insert(self, table: Table, match: re.Match[str], binds: dict[str, Any]) -> None:
        given = dict(zip(names(match["columns"]), names(match["values"]), strict=True))
        row: Row = {}
        for column in table.columns.values():
            if column.identity:
                row[column.name] = Decimal(next(table.ids))
            elif column.name in given:
                row[column.name] = store(table, column, self.bound(given[column.name], binds))
            else:
                row[column.name] = column.default
        self.check(table, row, None)
        key = row["id"]
        if table.primary is not None and key in table.rows:
            constraint, keyed = table.primary
            raise self.refused_by_index(taken(constraint, table.name, keyed, key))
        table.put(row)
        self.connection.undo.append(partial(table.remove, key))
        self.rowcount = 1
        self.returning(table, match, binds, [row])

    def update(self, table: Table, match: re.Match[str], binds: dict[str, Any]) -> None:
        changed = []
        for row in self.matching(table, match["where"], binds):
            new = dict(row)
            for assignment in names(match["set"]):
                name, expression = (part.strip() for part in assignment.split(" = "))
                if expression == f"{name} + 1":  # NULL stays NULL; ORA-01438 past the precision
                    added = None if row[name] is None else Typed("NUMBER", row[name] + 1)
                    new[name] = added and store(table, table.columns[name], added)
                else:
                    new[name] = store(table, table.columns[name], self.bound(expression, binds))
            self.check(table, new, row["id"])
            changed.append((row, new))
        for old, new in changed:
            table.put(new)
            self.connection.undo.append(partial(table.put, old))
        self.rowcount = len(changed)
        self.returning(table, match, binds, [new for _, new in changed])

    def delete(self, table: Table, match: re.Match[str], binds: dict[str, Any]) -> None:
        gone = list(self.matching(table, match["where"], binds))
        for row in gone:
            table.remove(row["id"])
            self.connection.undo.append(partial(table.put, row))
        self.rowcount = len(gone)


class WriteOnly:
    """An end-to-end attribute (module, action, client_identifier): write-only, as
    python-oracledb's are (connection.py); its value waits for the next round trip."""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, connection: object, owner: type | None = None) -> str:
        raise AttributeError(f"{self.name} is not readable")

    def __set__(self, connection: "StandInConnection", value: str) -> None:
        connection.pending[self.name] = value


class Shared:
    """An attribute of the object a stand-in wraps (the one its `to` attribute holds), read
    and written through the wrapper, as python-oracledb's connections and cursors keep
    theirs on an implementation object (`self._impl`; connection.py, cursor.py)."""

    def __init__(self, to: str) -> None:
        self.to = to

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, wrapper: object, owner: type | None = None) -> Any:
        return getattr(getattr(wrapper, self.to), self.name)

    def __set__(self, wrapper: object, value: Any) -> None:
        setattr(getattr(wrapper, self.to), self.name, value)


# The round trip of a COMMIT or a ROLLBACK, or of another call.
Ended = Literal["commit", "rollback"] | None


class Ending(Enum):
    """How a round trip past its call timeout ends (StandInConnection.wait)."""

    TIMED_OUT = "DPY-4024"  # Oracle answered the driver's break
    LOST = "DPY-4011"  # it did not, and the driver closed the connection


# The limits of an account's profile at which Oracle logs a session off, by ORA code; and
# thick mode's ORA-25402, at which a failover (TAF) has taken the session to another
# instance, its transaction lost: the session answers every call but a ROLLBACK so until it
# has one ("The client must roll back", Oracle's Error Help for ORA-25402).
CONNECT_TIME = 2399
TRANSACTION_LOST = 25402
LIMITS = {
    CONNECT_TIME: "exceeded maximum connect time, you are being logged off",
    2392: "exceeded session limit on CPU usage, you are being logged off",
    2394: "exceeded session limit on IO usage, you are being logged off",
    2397: "exceeded PRIVATE_SGA limit, you are being logged off",
    TRANSACTION_LOST: "transaction must roll back",
}


class StandInConnection:
    # The end-to-end attributes: Oracle sees them with the next round trip, as thin mode
    # keeps each new value until its next message writes them as a piggyback
    # (impl/thin/connection.pyx, `set_module`; messages/base.pyx,
    # `_write_end_to_end_piggyback`).
    module = WriteOnly()
    action = WriteOnly()
    client_identifier = WriteOnly()

    def __init__(self, pool: "StandInPools") -> None:
        self.pool = pool
        self._call_timeout = 0
        # Kept across releases, as the thin pool keeps it: it lends the same connection
        # implementation again and never resets the flag (base_impl.pxd, impl/thin/pool.pyx).
        self.autocommit = False
        self.undo: list[Callable[[], Any]] = []
        # Whether the session holds a transaction, as the last answer Oracle's driver read
        # in full said (`transaction_in_progress`): an answer lost to a call timeout or a
        # cancellation leaves it as it was.
        self.told = False
        # End-to-end values set since the last round trip, and what Oracle shows of the
        # session in V$SESSION.
        self.pending: dict[str, str] = {}
        self.session: dict[str, str] = {}
        # Closed by the driver, its socket gone: no round trip is made on it again.
        self.lost = False
        # Its socket closed by its user, with no logoff (`terminate`).
        self.terminated = False
        # What an asyncio connection hears of its socket's close (its transport's
        # `connection_lost`, which asyncio calls soon after): None for the synchronous API.
        self.hears_loss: Callable[[], None] | None = None
        # The network fails under it as its next round trip waits for the answer (`sever`),
        # and, once the synchronous API has met that, its socket fails each send.
        self.severed = False
        self.send_fails = False
        # Its socket failed while it sat idle in the pool: the keepalive probes that
        # ORACLE_EXPIRE_TIME sends went unanswered (`fail_while_idle`).
        self.failed_idle = False
        # The profile's limit at which Oracle logged the session off, if it did.
        self.limited: int | None = None
        # What Oracle said as it took the login (ORA-28002 in a password's grace period),
        # which the driver keeps until the connection's first release (`_end_request`,
        # impl/thin/connection.pyx).
        self.warning: errors._Error | None = pool.login_warning
        # The statements whose cursors the statement cache keeps open, the last run last,
        # and for a query, whether its fetch variables read NUMBER as Decimal: built at its
        # first run and kept with it, whatever a later run's `fetch_decimals` says
        # (`_preprocess_query`, impl/thin/messages/base.pyx; `_create_fetch_var`,
        # impl/base/cursor.pyx). Only an output type handler of another makes them again.
        self.cached: dict[str, bool | None] = {}
        self._stmtcachesize = pool.stmtcachesize
        self.fresh = True  # not lent yet: the pool's session callback is to run on it

    @property
    def call_timeout(self) -> int:
        return self._call_timeout

    @call_timeout.setter
    def call_timeout(self, milliseconds: int) -> None:
        """Set on the socket at once (`set_call_timeout`, impl/thin/connection.pyx): on a
        connection whose socket the driver closed (`_disconnect` and `connection_lost`,
        impl/thin/protocol.pyx, set its transport to None), Cython code that does not check
        reads None, and the process dies."""
        if self.lost:
            raise ProcessCrash("Connection.call_timeout set on a closed connection: a segfault")
        self._call_timeout = milliseconds

    @property
    def max_open_cursors(self) -> int:
        """OPEN_CURSORS, as Oracle tells it at login."""
        return self.pool.database.open_cursors

    @property
    def stmtcachesize(self) -> int:
        return self._stmtcachesize

    @stmtcachesize.setter
    def stmtcachesize(self, size: int) -> None:
        self._stmtcachesize = size
        self.keep_cached(size)

    def keep_cached(self, size: int) -> None:
        """Drop the statements run longest ago past `size`: their cursors close."""
        while len(self.cached) > size:
            del self.cached[next(iter(self.cached))]

    def open_cursor(self, statement: str, decimals: bool | None = None) -> bool | None:
        """A statement reaches Oracle: on the cursor the cache kept for it, or on a new one,
        cached (the one cached longest ago dropped past the cache's size), or, with no
        cache, closed after it. ORA-01000 when that one is past OPEN_CURSORS. A query's
        NUMBER reads as Decimal as at its first run while it stays cached (`decimals`, that
        run's `fetch_decimals`): what this run reads."""
        if statement in self.cached:
            built = self.cached.pop(statement)
            self.cached[statement] = built  # run last
            return built
        if min(len(self.cached) + 1, max(self.stmtcachesize, 1)) > self.max_open_cursors:
            raise oracle_error(1000, "maximum open cursors exceeded")
        if self.stmtcachesize:
            self.cached[statement] = decimals
            self.keep_cached(self.stmtcachesize)
        return decimals

    def round_trip(self, *, sleep: bool = True, ends_transaction: Ended = None) -> None:
        self.reach(ends_transaction)
        if self.severed:
            raise self.socket_failed()
        if not sleep:
            return
        seconds, ending = self.wait()
        if seconds == math.inf:  # no call timeout on a silent Oracle: held while it is
            while self.pool.silent:
                time.sleep(0.01)
            seconds, ending = self.wait()
        time.sleep(seconds)  # even 0: socket I/O lets other threads run
        if ending is not None:
            raise self.ended(ending)

    def reach(self, ends_transaction: Ended = None) -> None:
        """The start of a round trip: it reaches Oracle carrying what was set since the
        last one. On a connection the driver closed, the driver raises DPY-1001 at once.
        On a session Oracle logged off (`meet_limit`): ORA-01012, which the driver raises
        as DPY-4011 and closes the connection on (ERR_ORACLE_ERROR_XREF, errors.py), or,
        past a per-session limit, the limit's error again, but for a COMMIT or ROLLBACK;
        with its transaction lost to a failover, ORA-25402 again, but for a ROLLBACK."""
        if self.lost:
            raise driver_error(errors.ERR_NOT_CONNECTED)
        if self.send_fails:  # the socket failed: the send raises, and the driver closes it
            self.lost = True
            raise driver_error(errors.ERR_CONNECTION_CLOSED)
        if self.limited == CONNECT_TIME:
            self.lost = True
            raise driver_error(errors.ERR_CONNECTION_CLOSED, context_error_message="ORA-01012")
        taken = ("rollback",) if self.limited == TRANSACTION_LOST else ("commit", "rollback")
        if self.limited is not None and ends_transaction not in taken:
            raise oracle_error(self.limited, LIMITS[self.limited])
        if self.limited == TRANSACTION_LOST:  # rolled back: the session goes on
            self.limited = None
        self.pool.round_trips += 1
        self.session.update(self.pending)
        self.pending.clear()

    def wait(self) -> tuple[float, Ending | None]:
        """How long a round trip waits, and how it ends if not with Oracle's answer.

        Past call_timeout (milliseconds) thin mode's socket times out and the driver sends
        a break (impl/thin/protocol.pyx, `_process_message`): a slow Oracle answers it, and
        the call ends at the call timeout; a silent one does not, and the driver gives up
        after as long again. Even an instant answer is a wait on a socket (0 s).
        """
        limit = self.call_timeout / 1000
        if self.pool.silent:
            return (2 * limit, Ending.LOST) if limit else (math.inf, None)
        if limit and self.pool.latency > limit:
            return limit, Ending.TIMED_OUT
        return self.pool.latency, None

    def socket_failed(self) -> OSError:
        """How the synchronous API meets its socket's failure while it waits for an answer:
        the read fails with ETIMEDOUT (a keepalive probe unanswered), a TimeoutError, which
        `_process_message` (impl/thin/protocol.pyx) takes for its call timeout's
        `socket.timeout`; it sends a break, out of band over TCP, and `send_oob_break`
        (impl/thin/transport.pyx) raises the failed socket's error as it is, where
        `write_packet`, which sends TCPS's break, raises DPY-4011. The transport is kept,
        so the connection is healthy to the driver (`_get_is_healthy`), and its next round
        trip's send fails (`reach`). The statement is never run here."""
        self.severed, self.send_fails = False, True
        return BrokenPipeError(errno.EPIPE, "Broken pipe")

    def ended(self, ending: Ending) -> oracledb.Error:
        """The error a round trip ends with, past its call timeout: DPY-4024 once Oracle
        answered the break; DPY-4011 when it did not, and the driver closed the connection
        (`_disconnect`, in `_process_message`, impl/thin/protocol.pyx)."""
        if ending is Ending.TIMED_OUT:
            return driver_error(errors.ERR_CALL_TIMEOUT_EXCEEDED, timeout=self.call_timeout)
        self.lost = True
        return driver_error(
            errors.ERR_CONNECTION_CLOSED,
            context_error_message="socket timed out while recovering from previous socket timeout",
        )

    def meet_limit(self) -> None:
        """A call that reaches Oracle as the session meets the pool's `limit`: Oracle
        undoes the statement and answers with the limit's error, which the driver does not
        take for a dead session. At CONNECT_TIME it rolls the session's work back and ends
        it; past a per-session limit it takes only a COMMIT or a ROLLBACK (Oracle Database
        Security Guide, "Managing Resources with Profiles")."""
        code, self.pool.limit = self.pool.limit, None
        if code is None:
            return
        self.limited = code
        if code in (CONNECT_TIME, TRANSACTION_LOST):  # the instance that had it undoes it
            self.undo_all()
        raise oracle_error(code, LIMITS[code])

    def undo_all(self) -> None:
        """What Oracle does on rollback, once its round trip has reached it."""
        with self.pool.database.lock:
            for step in reversed(self.undo):
                step()
        self.undo.clear()

    def cursor(self) -> StandInCursor:
        return StandInCursor(self)

    @property
    def transaction_in_progress(self) -> bool:
        """Whether the session holds work not committed or rolled back, as Oracle told with
        the last answer the driver read in full (`_txn_in_progress`, set from each answer's
        call status by `_process_call_status`, impl/thin/protocol.pyx). A call timeout
        (`_process_timeout_helper`) or a cancellation raises before that: a statement
        Oracle ran whose answer was lost so leaves it as it was."""
        return self.told

    def answer_read(self) -> None:
        """An answer read in full: its call status says whether a transaction is open."""
        self.told = bool(self.undo)

    @property
    def current_schema(self) -> str | None:
        """The schema the session looks names up in, once a round trip has taken it there;
        None: the user's own (python-oracledb's is readable: `get_current_schema`)."""
        return self.pending.get("current_schema", self.session.get("current_schema"))

    @current_schema.setter
    def current_schema(self, schema: str) -> None:
        self.pending["current_schema"] = schema  # sent with the next round trip

    def is_healthy(self) -> bool:
        """Whether the driver has not closed the connection: no round trip (`is_healthy`)."""
        return not self.lost

    # Thin mode's connection implementation (`Connection._impl`), which the stand-in is to
    # itself: the service reads its `thin` and calls its `terminate`.
    thin = True

    @property
    def _impl(self) -> "StandInConnection":
        return self

    def terminate(self) -> None:
        """Close the socket with no logoff (`ThinConnImpl.terminate`, impl/thin/connection.pyx:
        the protocol's `_disconnect`, which does nothing once the driver has closed it): the
        pool drops it with no logoff either, as it logs off only a connection whose
        transport is open (`_drop_conn_impl`, impl/thin/pool.pyx)."""
        if not self.lost:
            self.lost = self.terminated = True
            if self.hears_loss is not None:
                asyncio.get_running_loop().call_soon(self.hears_loss)

    def ping(self) -> None:
        self.round_trip()
        self.meet_limit()  # a limit of the profile's is met at any call

    def close(self) -> None:
        """Give the connection back to its pool (the synchronous API's; an asyncio one's
        is StandInAsyncConnection's)."""
        cast("StandInPool", self.pool).give_back(self)

    def __enter__(self) -> "StandInConnection":
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def commit(self) -> None:
        self.round_trip(ends_transaction="commit")
        self.undo.clear()
        self.answer_read()

    def rollback(self) -> None:
        self.round_trip(ends_transaction="rollback")
        self.undo_all()
        self.answer_read()


# A pool's connection: the synchronous API's, or the asyncio API's.
Lent = TypeVar("Lent")


class PoolOptions(TypedDict, total=False):
    """A pool's keyword arguments, beyond its latency (StandInPools)."""

    max: int
    wait_timeout: float
    database: StandInDatabase | None
    refuse_logins: int | None
    login_warning: errors._Error | None
    login_latency: float
    stmtcachesize: int
    session_callback: Callable[[Any, str | None], Any] | None


class StandInPools:
    """What both pools keep: the database, the logins, their sizes, and counts of what
    they do. Each lends at most `max` connections at a time. A caller waits up to
    `wait_timeout` seconds in all, then gets DPY-4005 (POOL_GETMODE_TIMEDWAIT): for a lent
    connection to come back, and for the logins made for the callers before it and for its
    own, as python-oracledb 26 times the whole acquire (`PooledConnRequest.process` and
    `process_async`, impl/thin/pool.pyx). A login the caller gave up on goes on, on the
    pool's background thread or task, and its connection is filed as idle
    (`_bg_task_func`, `reject`); one whose caller has gone by its turn is never made
    (`needs_processing`). The driver may still make up to `increment` logins of its own
    then, to grow (`_num_to_create`), which only add to `opened`: the stand-in's count is
    the least the driver's can be, and the bridge's judgment of a stuck pool, which reads
    it, no kinder here than with the driver."""

    def __init__(
        self,
        latency: float = 0.0,
        *,
        max: int = 5,
        wait_timeout: float = 1.0,
        database: StandInDatabase | None = None,
        refuse_logins: int | None = None,
        login_warning: errors._Error | None = None,
        login_latency: float = 0.0,
        stmtcachesize: int = 20,
        session_callback: Callable[[Any, str | None], Any] | None = None,
    ) -> None:
        self.latency = latency
        # Each new connection's statement cache (python-oracledb's default: 20), and what
        # runs on it as it is first lent.
        self.stmtcachesize = stmtcachesize
        self.session_callback = session_callback
        # A login's round trips, in all: other callers reach the pool meanwhile.
        self.login_latency = login_latency
        self.max = max
        self.wait_timeout = wait_timeout
        self.database = database or StandInDatabase()
        # An ORA code every login fails with (1017: wrong password), or None.
        self.refuse_logins = refuse_logins
        # A warning every login Oracle takes comes with (`Connection.warning`), or None.
        self.login_warning = login_warning
        # Oracle answers nothing on the open connections, not even a break (see above). A
        # new login still takes `login_latency`: a silent listener is tested with the real
        # driver (test_stuck_pool.py).
        self.silent = False
        # Oracle runs each statement as it arrives, and its answer is what takes `latency`
        # (a slow network): a call timeout or a cancellation then finds the statement done,
        # its work in the session, and the answer lost. Otherwise the statement is what
        # takes the time, and a break stops it undone (ORA-01013).
        self.answers_late = False
        # A limit of the account's profile that the next statement meets, by its ORA code
        # (`LIMITS`): Oracle logs the session off there (StandInConnection `meet_limit`).
        self.limit: int | None = None
        self.lock = threading.Lock()
        self.logins = self.opened = self.busy = 0
        self.wanting = 0  # callers logging in, or waiting their turn to
        self.acquired = self.released = self.dropped = self.round_trips = 0
        self.lost_connections = 0  # closed by the driver, past a silent call timeout
        self.closed = False
        # What is lent now: each connection's state, and what the pool lent for it.
        self.out: dict[StandInConnection, Any] = {}

    @staticmethod
    def logoff_time(state: StandInConnection) -> float:
        """How long the pool holds its lock to close a connection dropped with its socket
        open: its background thread or task logs the session off, a round trip, holding the
        lock every acquire, release and drop takes (`_bg_task_func` and `_close_connection`,
        impl/thin/pool.pyx; `_close`, impl/thin/connection.pyx). The round trip is bounded
        by the connection's call timeout as any is (`wait`): twice over on a silent Oracle,
        and for ever with none."""
        seconds, _ = state.wait()
        return seconds

    def check_open(self) -> None:
        """Refuse a caller of a closed pool as python-oracledb does (DPY-1002)."""
        if self.closed:
            raise driver_error(errors.ERR_POOL_NOT_OPEN)

    def log_in(self) -> None:
        """One login, once its round trips are over: refused with the server's own error
        when `refuse_logins` says so."""
        with self.lock:
            self.logins += 1
        if self.refuse_logins is not None:
            raise oracle_error(self.refuse_logins, "invalid credential or not authorized")

    async def log_in_async(self) -> None:
        """The bridge's own try of the credentials: one login, outside the pool, with the
        asyncio API (which the threadpool mode logs in with too, in thin mode)."""
        await asyncio.sleep(self.login_latency)
        self.log_in()

    def open_connection(self) -> StandInConnection:
        try:
            self.log_in()
        except oracledb.Error:
            with self.lock:
                if self.wanting <= 1 and not self.closed:  # no other request waits
                    self.logins += 1  # the pool's growth attempt, which fails silently
            raise
        self.opened += 1
        return StandInConnection(self)

    def idle_one(self, idle: list[Lent]) -> Lent | None:
        """An idle connection, taken from `idle`, if there is one."""
        with self.lock:
            return idle.pop() if idle else None

    def lent(self, connection: Lent, state: StandInConnection) -> Lent:
        """`connection`, counted as lent."""
        with self.lock:
            self.acquired += 1
            self.busy += 1
            self.out[state] = connection
        return connection

    def unclaimed(
        self, idle: list[Lent], login: "Future[Lent] | asyncio.Future[Lent | None]"
    ) -> None:
        """The end of a login its caller gave up on: its connection is idle, for the next."""
        if login.cancelled() or login.exception() is not None:
            return
        if (connection := login.result()) is not None:  # None: no login was made
            with self.lock:
                idle.append(connection)

    def callback_for(self, state: StandInConnection) -> Callable[[Any, str | None], Any] | None:
        """The session callback to run on a connection lent for the first time; None after."""
        first, state.fresh = state.fresh, False
        return self.session_callback if first else None

    def take_back(self, idle: list[Lent], connection: Lent, state: StandInConnection) -> None:
        """A lent connection given back: idle again, or, closed by the driver, dropped (its
        session ends, and Oracle rolls back what it left uncommitted)."""
        self.still_open()
        state.warning = None  # the driver's `_end_request`
        if state.lost:
            state.undo_all()
        with self.lock:
            self.released += 1
            self.busy -= 1
            del self.out[state]
            if state.lost:
                self.opened -= 1
                self.lost_connections += 1
            else:
                idle.append(connection)

    def forget(self, state: StandInConnection) -> None:
        """A lent connection dropped instead of taken back (the pool's `drop`): its session
        ends, and the pool opens another when it needs one. Dropped with its socket open,
        it is logged off by the pool (`_drop_conn_impl` and `_close_connection`,
        impl/thin/pool.pyx; `ThinConnImpl._close`, impl/thin/connection.pyx), with no
        rollback before, and Oracle commits what the session left uncommitted at a logoff
        (OCISessionEnd, Oracle Call Interface Programmer's Guide); its socket closed (by the
        driver, or `terminate`) or failing, so that no logoff reaches Oracle, Oracle rolls
        that back. A closed pool refuses it (DPY-1002, `_verify_open` in pool.py)."""
        self.check_open()
        if state.lost or state.send_fails or state.severed:
            state.undo_all()
        else:
            state.undo.clear()  # committed by the logoff
        with self.lock:
            self.busy -= 1
            self.opened -= 1
            del self.out[state]
            if state.lost and not state.terminated:
                self.lost_connections += 1
            else:
                self.dropped += 1

    def drop_all(self, idle: list[Lent]) -> None:
        """Every idle connection is past its lifetime (ORACLE_MAX_LIFETIME_SESSION), or its
        session was ended: the pool drops each as it would lend it (`_check_connection`,
        impl/thin/pool.pyx), so the next callers log in."""
        with self.lock:
            self.opened -= len(idle)
            idle.clear()

    def close_lent(self, force: bool) -> None:
        """Close the pool as python-oracledb closes it: with connections lent, only if
        `force` (else DPY-1005), and then the pool's background thread or task closes each
        of those as one dropped, under the call using it (`_close_helper`,
        `_close_all_connections` and `_close_connection`, impl/thin/pool.pyx): logged off,
        and its work committed, unless its socket is closed already (`forget`). The call
        finds it closed (DPY-1001). A pool closed already refuses it (DPY-1002, `_verify_open`
        in pool.py's `close`)."""
        self.check_open()
        if self.out and not force:
            raise driver_error(errors.ERR_POOL_HAS_BUSY_CONNECTIONS)
        for state in self.out:
            if state.lost or state.send_fails or state.severed:
                state.undo_all()
            else:
                state.undo.clear()  # committed by the logoff
            state.lost = True
        self.closed = True

    def still_open(self) -> None:
        """A lent connection coming back to a pool closed under it fails (above)."""
        if self.closed:
            raise ValueError("list.remove(x): x not in list")


class StandInPool(StandInPools):
    """python-oracledb's ConnectionPool: each connection lent to one thread at a time."""

    def __init__(self, latency: float = 0.0, **options: Unpack[PoolOptions]) -> None:
        super().__init__(latency, **options)
        self.idle: list[StandInConnection] = []
        self.free = threading.BoundedSemaphore(self.max)
        self.login_turn = threading.Lock()  # the pool's background thread logs in

    def acquire(self) -> oracledb.Connection:
        """A connection, given back by its `close()`, or at the end of a `with` block."""
        self.check_open()
        deadline = time.monotonic() + self.wait_timeout
        if not self.free.acquire(timeout=self.wait_timeout):
            raise driver_error(errors.ERR_POOL_NO_CONNECTION_AVAILABLE)
        try:
            connection = self.idle_one(self.idle) or self.log_in_by(deadline)
        except BaseException:
            self.free.release()
            raise
        if connection.failed_idle:
            # Its socket failed while it was idle. The pool reads an idle connection's
            # socket before it lends it (`_check_connection` in PooledConnRequest,
            # impl/thin/pool.pyx), and `read_packet` (impl/thin/transport.pyx) takes only a
            # reset for the close it looks for: the read's ETIMEDOUT escapes `fulfill`, the
            # connection off the pool's lists and still counted open, its place taken for
            # good (`free` is not given back).
            raise TimeoutError(errno.ETIMEDOUT, "Connection timed out")
        self.lent(connection, connection)
        if (callback := self.callback_for(connection)) is not None:
            try:
                callback(connection, None)
            except BaseException:
                self.give_back(connection)  # as the Connection the driver made is deleted
                raise
        # Typed as the real thing: the code under test only uses what the stand-in has.
        return cast(oracledb.Connection, connection)

    def give_back(self, connection: StandInConnection) -> None:
        # Released with work uncommitted: rolled back first, and filed back even when that
        # rollback fails (python-oracledb 26: `return_connection`, impl/thin/pool.pyx,
        # files it in a `finally`), so one whose rollback timed out goes back with its work
        # in it. Whether there is work to roll back, the pool reads from the flag
        # (`_end_request`, impl/thin/connection.pyx): work whose answer was lost goes back
        # with the connection, for the next call to commit.
        try:
            if connection.transaction_in_progress and not connection.lost:
                connection.rollback()
        finally:
            self.take_back(self.idle, connection, connection)
            self.free.release()

    def drop(self, connection: oracledb.Connection) -> None:
        state = cast(StandInConnection, connection)
        self.forget(state)
        self.free.release()
        if not state.lost:  # its logoff holds the pool's lock (`logoff_time`) from now
            self.lock.acquire()
            logoff = (self.logoff_time(state), state)
            threading.Thread(target=self.log_off, args=logoff, daemon=True).start()

    def log_off(self, seconds: float, state: StandInConnection) -> None:
        """The background thread's logoff of a connection dropped, `seconds` long: the lock
        is released from this thread once it is over (a threading.Lock may be)."""
        try:
            while seconds == math.inf:  # no call timeout on a silent Oracle: while it is
                time.sleep(0.01)
                seconds = self.logoff_time(state)
            time.sleep(seconds)
        finally:
            self.lock.release()

    def expire_idle(self) -> None:
        self.drop_all(self.idle)

    def serve_afresh(self) -> None:
        """Each idle connection's next call on a DRCP pooled server new to it (purity NEW, or
        one another process used): none of the session's state set on it."""
        for connection in self.idle:
            connection.session.clear()

    def sever(self) -> None:
        """The network fails under each idle connection as its next round trip waits for
        the answer (StandInConnection `socket_failed`); logins after it find it working."""
        for connection in self.idle:
            connection.severed = True

    def fail_while_idle(self) -> None:
        """Each idle connection's socket fails as it sits idle: the keepalive probes
        ORACLE_EXPIRE_TIME sends go unanswered (a database host gone, a partition), and the
        kernel fails its socket with ETIMEDOUT. Logins after it find the network working.
        The pool meets it as it lends the connection (`acquire`)."""
        for connection in self.idle:
            connection.failed_idle = True

    def log_in_by(self, deadline: float) -> StandInConnection:
        """A new connection, made on a thread of its own as the pool's background thread
        makes it, and waited for until `deadline`."""
        login: Future[StandInConnection] = Future()
        threading.Thread(target=self.log_in_in_turn, args=(login,), daemon=True).start()
        try:
            return login.result(timeout=max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            if not login.cancel():  # its login has begun, and goes on
                login.add_done_callback(partial(self.unclaimed, self.idle))
            raise driver_error(errors.ERR_POOL_NO_CONNECTION_AVAILABLE) from None

    def log_in_in_turn(self, login: "Future[StandInConnection]") -> None:
        """One login at a time, unless a connection came back meanwhile, or its caller has
        gone: its round trips hold the thread."""
        with self.lock:
            self.wanting += 1
        try:
            with self.login_turn:
                if not login.set_running_or_notify_cancel():
                    return  # its caller has gone
                self.check_open()
                if (connection := self.idle_one(self.idle)) is None:
                    time.sleep(self.login_latency)
                    connection = self.open_connection()
            login.set_result(connection)
        except BaseException as exc:
            login.set_exception(exc)
        finally:
            with self.lock:
                self.wanting -= 1

    def close(self, force: bool = False) -> None:
        self.close_lent(force)


# --- The asyncio API ----------------------------------------------------------------------


class StandInAsyncCursor:
    """An AsyncCursor: the same statements, each round trip awaited instead of blocking."""

    def __init__(self, connection: "StandInAsyncConnection") -> None:
        self.connection = connection
        self.statements = StandInCursor(connection.state)

    def __enter__(self) -> "StandInAsyncCursor":
        return self

    def __exit__(self, *exc_info: object) -> None:
        return None

    # What the service sets and reads, as the cursor holds it.
    arraysize = Shared("statements")
    prefetchrows = Shared("statements")
    rowfactory = Shared("statements")

    @property
    def rowcount(self) -> int:
        return self.statements.rowcount

    def var(self, kind: object, size: int = 0) -> Var:
        return self.statements.var(kind, size)

    def setinputsizes(self, **sizes: object) -> None:
        self.statements.setinputsizes(**sizes)

    async def execute(
        self,
        statement: str,
        parameters: dict[str, Any] | None = None,
        *,
        fetch_decimals: bool | None = None,
        **keyword_parameters: Any,
    ) -> None:
        binds = (parameters or {}) | keyword_parameters
        self.statements.prepare(statement, binds)
        state = self.connection.state
        if not state.pool.answers_late:
            await self.connection.round_trip()
        try:
            state.meet_limit()
            self.statements.apply(statement, binds, fetch_decimals)
        finally:  # an answer, or Oracle's error, read in full unless lost on its way
            if state.pool.answers_late:
                await self.connection.round_trip()
            state.answer_read()

    async def fetchall(self) -> list[Any]:
        return self.statements.fetchall()

    async def fetchone(self) -> Any:
        return self.statements.fetchone()


def cancelled_by_break() -> oracledb.Error:
    """What a statement a break stopped ends with."""
    return oracle_error(1013, "user requested cancel of current operation")


class StandInAsyncConnection:
    """An AsyncConnection: its state is a stand-in connection's; its round trips are awaited."""

    call_timeout = Shared("state")
    autocommit = Shared("state")
    stmtcachesize = Shared("state")
    max_open_cursors = Shared("state")
    module = Shared("state")
    action = Shared("state")
    client_identifier = Shared("state")
    current_schema = Shared("state")
    transaction_in_progress = Shared("state")
    warning = Shared("state")

    def __init__(self, pool: "StandInAsyncPool", state: StandInConnection) -> None:
        self.pool = pool
        self.state = state
        state.hears_loss = self.connection_lost
        # The answer the round trip under way awaits, and whether Oracle will send any.
        self.in_flight = False
        self.answer: asyncio.Future[None] | None = None
        self.silent = False
        # A break whose answer is still to be read: by the round trip under way, once its
        # own answer is in; with none under way, by the next one, whoever makes it.
        self.broken_off = False
        # The answer to a break whose wait for it was cut off, still to be read.
        self.break_unread = False

    async def round_trip(self, ends_transaction: Ended = None) -> None:
        """One round trip: awaits Oracle's answer for `latency`, within the call timeout.

        A task cancelled while it waits does not leave the connection mid-call: the thin
        driver sends a break, reads Oracle's answer to it and resets the protocol before
        the cancellation goes on (impl/thin/protocol.pyx, BaseAsyncProtocol
        `_process_message` and `_reset`), and the connection is usable. That wait has no
        bound: an Oracle that answers nothing (a round trip past the call timeout) holds the
        task until it is cancelled again. Here the statement's effect never happens, as
        when the break reaches Oracle while the statement runs; one that Oracle had
        finished, its answer on the way, stays done. The service takes neither for
        granted: a write cancelled halfway has an unknown outcome (shutdown.py).
        """
        self.state.reach(ends_transaction)
        if self.state.severed:
            self.state.severed, self.state.lost = False, True
            raise driver_error(errors.ERR_CONNECTION_CLOSED)
        seconds, ending = self.state.wait()
        while seconds == math.inf:  # no call timeout on a silent Oracle: held while it is
            await asyncio.sleep(0.01)
            seconds, ending = self.state.wait()
        self.in_flight, self.silent = True, self.pool.silent
        try:
            if self.broken_off:  # a break sent between round trips: its answer comes first
                raise cancelled_by_break()
            if self.break_unread and not self.silent:  # read as this round trip's answer
                self.break_unread = False
                raise cancelled_by_break()
            if not seconds:
                await asyncio.sleep(0)  # an answer at once: other tasks run while it is read
            else:
                await self.answer_within(seconds)
            if self.broken_off:  # the break came with the answer, and is answered too
                raise cancelled_by_break()
        finally:
            self.in_flight, self.broken_off = False, False
        if ending is not None:
            raise self.state.ended(ending)

    async def answer_within(self, seconds: float) -> None:
        """Oracle's answer in `seconds`, awaited as the driver awaits each round trip's:
        `asyncio.wait_for` within the call timeout, and past it, once more for the answer to
        the break it then sends (`_process_message`, impl/thin/protocol.pyx). From Python
        3.12 that timeout cancels the task the wait began in (asyncio.timeout), whichever
        task goes on with it: a round trip begun in one task and handed on to another
        cancels the first, and waits on with no bound, here as with the driver."""
        loop = asyncio.get_running_loop()
        limit = self.state.call_timeout / 1000 or None
        self.answer = loop.create_future()
        # An answer due past the call timeout is never read: the timeout ends the wait first.
        late = limit is not None and seconds >= limit
        answered = None if late else loop.call_later(seconds, self.answered, self.answer)
        try:
            await asyncio.wait_for(self.answer, limit)
            return
        except TimeoutError:
            pass  # the driver sends a break: a slow Oracle answers it at once
        except asyncio.CancelledError:
            if self.silent:  # the break's answer never comes, but the socket's loss ends the wait
                self.answer = loop.create_future()
                try:
                    await self.answer
                except asyncio.CancelledError:
                    # Cancelled again as it waited for it: the driver's `_reset` is cut off,
                    # and that answer is the next round trip's to read, if it ever comes.
                    self.break_unread = True
                    raise
            raise
        finally:
            if answered is not None:
                answered.cancel()
            self.answer = None
        if not self.silent:
            return
        self.answer = loop.create_future()
        try:  # a silent Oracle does not answer the break either
            await asyncio.wait_for(self.answer, limit)
        except TimeoutError:
            return
        except asyncio.CancelledError:
            # Cancelled as it waits for the break's answer, the driver ends at once
            # (`_process_message`), the answer unread.
            self.break_unread = True
            raise
        finally:
            self.answer = None

    @staticmethod
    def answered(answer: "asyncio.Future[None]") -> None:
        if not answer.done():
            answer.set_result(None)

    def connection_lost(self) -> None:
        """Its socket closed, by `terminate` or by the network: the driver's transport is
        gone, and a round trip waiting for an answer, or for a break's, ends with DPY-4011
        (`connection_lost`, BaseAsyncProtocol in impl/thin/protocol.pyx)."""
        self.state.lost = True
        if self.answer is not None and not self.answer.done():
            self.answer.set_exception(driver_error(errors.ERR_CONNECTION_CLOSED))

    def cancel(self) -> None:
        """A break (Connection.cancel, `_break_external` in impl/thin/protocol.pyx): Oracle
        stops the statement under way and answers ORA-01013. An Oracle that answers nothing
        answers no break either: the call waits out its call timeout. On a connection whose
        socket is closed, python-oracledb 26.1 writes the break to the transport it no longer
        has (None, to Cython code that does not check) and the process dies."""
        if self.state.lost:
            raise ProcessCrash("Connection.cancel() on a closed connection: a segfault")
        if self.in_flight and self.silent:
            return
        if self.answer is not None and not self.answer.done():
            self.answer.set_exception(cancelled_by_break())
        else:
            self.broken_off = True

    def cursor(self) -> StandInAsyncCursor:
        return StandInAsyncCursor(self)

    async def close(self) -> None:
        """Give the connection back to its pool."""
        await self.pool.give_back(self)

    def is_healthy(self) -> bool:
        return self.state.is_healthy()

    @property
    def _impl(self) -> StandInConnection:
        """Its implementation (`AsyncConnection._impl`): the state it shares with the
        synchronous API's stand-in, as thin mode's is one class for both."""
        return self.state

    async def ping(self) -> None:
        await self.round_trip()
        self.state.meet_limit()  # a limit of the profile's is met at any call

    async def commit(self) -> None:
        await self.round_trip(ends_transaction="commit")
        self.state.undo.clear()
        self.state.answer_read()

    async def rollback(self) -> None:
        await self.round_trip(ends_transaction="rollback")
        self.state.undo_all()
        self.state.answer_read()


class Caller:
    """A caller of the asyncio pool waiting for a login made for it (the driver's
    PooledConnRequest): gone by the login's turn, it gets none (`needs_processing`)."""

    waiting = True


class StandInAsyncPool(StandInPools):
    """python-oracledb's AsyncConnectionPool: each connection lent to one task at a time."""

    def __init__(self, latency: float = 0.0, **options: Unpack[PoolOptions]) -> None:
        super().__init__(latency, **options)
        self.idle: list[StandInAsyncConnection] = []
        # Made on the loop that first uses them.
        self.free: asyncio.Semaphore | None = None
        self.login_turn: asyncio.Lock | None = None  # the pool's background task logs in
        # The background task's logoffs of connections dropped, which hold the pool's lock.
        self.logging_off: asyncio.Future[None] | None = None

    def acquire(self) -> oracledb.AsyncConnection:
        # Typed as the real thing: the code under test only uses what the stand-in has.
        return cast(oracledb.AsyncConnection, Lending(self))

    async def lend_async(self) -> StandInAsyncConnection:
        self.check_open()
        if self.free is None:
            self.free = asyncio.Semaphore(self.max)
            self.login_turn = asyncio.Lock()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait_timeout
        try:  # the whole acquire is timed (above), the wait for the pool's lock with it
            async with asyncio.timeout(self.wait_timeout):
                await self.lock_free()
        except TimeoutError:
            raise driver_error(errors.ERR_POOL_NO_CONNECTION_AVAILABLE) from None
        if self.free.locked():  # every connection is lent: wait for one, up to wait_timeout
            try:
                await asyncio.wait_for(self.free.acquire(), self.wait_timeout)
            except TimeoutError:
                raise driver_error(errors.ERR_POOL_NO_CONNECTION_AVAILABLE) from None
        else:
            await self.free.acquire()  # room for one: lent at once if it is idle
        try:
            # Closed while it waited: the driver's `fulfill` checks the pool is open at each
            # look for a connection (impl/thin/pool.pyx).
            self.check_open()
            if (connection := self.idle_one(self.idle)) is None:
                # None idle: the pool's background task logs in, and other tasks reach the
                # pool meanwhile; the caller waits for it until its deadline.
                caller = Caller()
                login = asyncio.ensure_future(self.log_in_in_turn(caller))
                try:
                    connection = await asyncio.wait_for(
                        asyncio.shield(login), deadline - loop.time()
                    )
                    assert connection is not None  # None only for a caller gone by its turn
                except BaseException as exc:
                    caller.waiting = False
                    login.add_done_callback(partial(self.unclaimed, self.idle))
                    if isinstance(exc, TimeoutError):
                        raise driver_error(errors.ERR_POOL_NO_CONNECTION_AVAILABLE) from None
                    raise
        except BaseException:
            self.free.release()
            raise
        self.lent(connection, connection.state)
        if (callback := self.callback_for(connection.state)) is not None:
            await callback(connection, None)
        return connection

    def expire_idle(self) -> None:
        self.drop_all(self.idle)

    def fail_while_idle(self) -> None:
        """Each idle connection's socket fails as it sits idle (StandInPool's). asyncio
        hears it: the transport's `connection_lost` sets the protocol's pending error, and
        the pool drops each such connection as it would lend it (`_check_connection`,
        impl/thin/pool.pyx), so the next callers log in."""
        self.drop_all(self.idle)

    def serve_afresh(self) -> None:
        """Each idle connection's next call on a DRCP pooled server new to it (purity NEW, or
        one another process used): none of the session's state set on it."""
        for connection in self.idle:
            connection.state.session.clear()

    def sever(self) -> None:
        """The network fails under each idle connection as its next round trip waits for
        the answer: the asyncio API hears it from its transport (`connection_lost`,
        BaseAsyncProtocol in impl/thin/protocol.pyx), DPY-4011, and the connection closed.
        Logins after it find the network working."""
        for connection in self.idle:
            connection.state.severed = True

    async def log_in_in_turn(self, caller: Caller) -> StandInAsyncConnection | None:
        """One login at a time, unless a connection came back meanwhile, or `caller` has
        gone (then None)."""
        assert self.login_turn is not None
        self.wanting += 1
        try:
            async with self.login_turn:
                if not caller.waiting:
                    return None
                self.check_open()
                if (connection := self.idle_one(self.idle)) is None:
                    # Its login under way, the request is no longer one that a connection
                    # given back meanwhile satisfies (`in_progress`, `_get_next_request`
                    # and `_check_satisfy_request`, impl/thin/pool.pyx): the pool grows.
                    await asyncio.sleep(self.login_latency)
                    connection = StandInAsyncConnection(self, self.open_connection())
                return connection
        finally:
            self.wanting -= 1

    async def give_back(self, connection: StandInAsyncConnection) -> None:
        await self.lock_free()
        # Released with work uncommitted: rolled back first, and filed back even when that
        # rollback fails (python-oracledb 26: `return_connection`, impl/thin/pool.pyx,
        # files it in a `finally`), so one whose rollback timed out goes back with its work
        # in it. A release cancelled during that round trip is taken to never finish, the
        # connection busy for good, as before 26; the service never cancels one
        # (db.to_the_end). The pool reads the flag, as above.
        assert self.free is not None
        if connection.state.transaction_in_progress and not connection.state.lost:
            try:
                await connection.rollback()
            except oracledb.Error:
                self.take_back(self.idle, connection, connection.state)
                self.free.release()
                raise
        self.take_back(self.idle, connection, connection.state)
        self.free.release()

    async def drop(self, connection: oracledb.Connection) -> None:
        await self.lock_free()
        state = cast(StandInAsyncConnection, connection).state
        self.forget(state)
        assert self.free is not None
        self.free.release()
        if not state.lost:  # its logoff holds the pool's lock (`logoff_time`) from now
            self.logging_off = asyncio.ensure_future(self.log_off(self.logoff_time(state), state))

    async def log_off(self, seconds: float, state: StandInConnection) -> None:
        while seconds == math.inf:  # no call timeout on a silent Oracle: while it is
            await asyncio.sleep(0.01)
            seconds = self.logoff_time(state)
        await asyncio.sleep(seconds)

    async def lock_free(self) -> None:
        """Wait for the logoffs that hold the pool's lock (`drop`)."""
        while self.logging_off is not None and not self.logging_off.done():
            await asyncio.shield(self.logging_off)

    async def close(self, force: bool = False) -> None:
        await self.lock_free()
        self.close_lent(force)


class Lending:
    """What `AsyncConnectionPool.acquire()` returns: awaited, or entered with `async with`,
    a connection from the pool; its `close()`, or leaving the block, gives it back."""

    def __init__(self, pool: StandInAsyncPool) -> None:
        self.pool = pool
        self.connection: StandInAsyncConnection | None = None

    def __await__(self) -> Generator[Any, None, StandInAsyncConnection]:
        return self.pool.lend_async().__await__()

    async def __aenter__(self) -> StandInAsyncConnection:
        self.connection = await self.pool.lend_async()
        return self.connection

    async def __aexit__(self, *exc_info: object) -> None:
        assert self.connection is not None
        await self.connection.close()
