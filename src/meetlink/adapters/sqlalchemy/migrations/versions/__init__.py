"""meetlink's Alembic revisions (loaded by Alembic from their files, never imported)."""
