"""The ``baocao`` command: local runtime (embedded NATS and PostgreSQL), simulation and client."""
