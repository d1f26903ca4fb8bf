"""The report catalog, loaded from the TOML files in ``data/`` (or ``BAOCAO_CATALOG_DIR``)."""

from __future__ import annotations

import tomllib
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from pydantic import ValidationError

from shared.catalog.model import Indicator, IndicatorType, Level, ReportType

__all__ = ["Catalog", "CatalogError", "Indicator", "IndicatorType", "Level", "ReportType"]

DEFAULT_DIRECTORY = Path(__file__).parent / "data"


class CatalogError(ValueError):
    """A catalog file is unreadable or describes an inconsistent report type."""


@dataclass(frozen=True)
class Catalog:
    report_types: dict[str, ReportType]

    @classmethod
    def load(cls, directory: Path = DEFAULT_DIRECTORY) -> Catalog:
        types: dict[str, ReportType] = {}
        for path in sorted(directory.glob("*.toml")):
            text = unicodedata.normalize("NFC", path.read_text(encoding="utf-8"))
            try:
                report_type = ReportType.model_validate(tomllib.loads(text))
            except (tomllib.TOMLDecodeError, ValidationError) as error:
                raise CatalogError(f"{path.name}: {error}") from error
            if report_type.code != path.stem:
                raise CatalogError(f"{path.name}: code {report_type.code!r} must match file name")
            types[report_type.code] = report_type
        if not types:
            raise CatalogError(f"no report types in {directory}")
        return cls(types)

    def get(self, code: str) -> ReportType | None:
        return self.report_types.get(code)

    def __iter__(self) -> Iterator[ReportType]:
        return iter(self.report_types.values())
