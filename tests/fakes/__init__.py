"""In-memory fakes of the services' stores, kept honest by the contract tests."""
