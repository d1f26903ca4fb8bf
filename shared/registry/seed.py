"""The registry as the ``vietnam-provinces`` package ships it (Decision 19/2025/QĐ-TTg codes)."""

from __future__ import annotations

import unicodedata
from datetime import date

from vietnam_provinces import Province, Ward

from shared.catalog.model import Level
from shared.registry.model import CENTRAL_CODE, Unit

# The two-level local government took effect on this day; the package's list is valid from it.
TWO_LEVEL_START = date(2025, 7, 1)


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def _kind(division_type: object) -> str:
    return str(getattr(division_type, "name", division_type)).lower()


def units_from_package() -> list[Unit]:
    units = [
        Unit(CENTRAL_CODE, "Trung ương", Level.CENTRAL, "central", None, TWO_LEVEL_START),
    ]
    for province in Province.iter_all():
        units.append(
            Unit(
                code=f"{int(province.code):02d}",
                name=_nfc(province.name),
                level=Level.PROVINCE,
                kind=_kind(province.division_type),
                parent=CENTRAL_CODE,
                valid_from=TWO_LEVEL_START,
            )
        )
    for ward in Ward.iter_all():
        units.append(
            Unit(
                code=f"{int(ward.code):05d}",
                name=_nfc(ward.name),
                level=Level.COMMUNE,
                kind=_kind(ward.division_type),
                parent=f"{int(ward.province_code):02d}",
                valid_from=TWO_LEVEL_START,
            )
        )
    return units
