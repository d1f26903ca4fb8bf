"""What crosses a service boundary: schemas, the unit registry, the report catalog, settings."""
