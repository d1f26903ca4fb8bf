"""Texts of the province pages."""

TEXTS: dict[str, tuple[str, str]] = {}
