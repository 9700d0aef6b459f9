"""${message}

Revision ID: ${up_revision}
Revises:${" " if down_revision else ""}${down_revision | comma,n}
"""

from collections.abc import Sequence
% if not isinstance(down_revision, (tuple, list)):

from alembic import op
% endif
${imports if imports else ""}
<%
    def quoted(value):
        if value is None:
            return "None"
        if isinstance(value, str):
            return '"%s"' % value
        return "(%s)" % ", ".join('"%s"' % item for item in value)
%>\
revision: str = ${quoted(up_revision)}
down_revision: str | Sequence[str] | None = ${quoted(down_revision)}
branch_labels: str | Sequence[str] | None = ${quoted(branch_labels)}
depends_on: str | Sequence[str] | None = ${quoted(depends_on)}


def upgrade() -> None:
    # Oracle commits each DDL statement on its own: keep a revision to one change.
    ${upgrades if upgrades else "pass"}


def downgrade() -> None:
    ${downgrades if downgrades else "pass"}
