"""Storage tests: the repository contract (in-memory and SQL), migrations, encryption and
concurrency on real SQLite, PostgreSQL and MariaDB."""
