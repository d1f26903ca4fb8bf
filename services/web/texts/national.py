"""Texts of the national pages."""

TEXTS: dict[str, tuple[str, str]] = {}
