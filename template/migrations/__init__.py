"""Alembic's environment and revisions: a package, so a revision named after a resource
(types.py, secrets.py) is migrations.versions.types to mypy, not a second `types`."""
