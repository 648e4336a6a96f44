"""meetlink's Alembic environment (its own lineage and version table ``meetlink_alembic_version``).

Not imported by meetlink itself:
[`meetlink.adapters.sqlalchemy.upgrade`][meetlink.adapters.sqlalchemy.migrate.upgrade] points
Alembic's ``script_location`` at this directory. Being a package makes sure the revisions are
installed.
"""
