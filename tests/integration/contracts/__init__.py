"""Contract tests: one set of cases per store, run against its in-memory fake and PostgreSQL."""
