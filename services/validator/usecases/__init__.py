"""The validator's use cases other than judging (services/validator/usecases/validation.py): approvals,
lock exceptions and the audit history, each called by a thin HTTP route."""
