"""Texts of the commune pages."""

TEXTS: dict[str, tuple[str, str]] = {}
