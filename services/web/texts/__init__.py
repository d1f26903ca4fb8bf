"""Every text the pages show, in Vietnamese and English, by key. Each area of the app keeps its
own table; a key missing from both shows as itself, and a unit test holds every key used in a
template to a table."""

from __future__ import annotations

from typing import Any

from services.web.domain.formatting import Language
from services.web.texts import common, commune, national, province

TEXTS: dict[str, tuple[str, str]] = {}
for _table in (common.TEXTS, national.TEXTS, province.TEXTS, commune.TEXTS):
    overlap = TEXTS.keys() & _table.keys()
    assert not overlap, f"text keys defined twice: {sorted(overlap)}"
    TEXTS.update(_table)


def translate(key: str, lang: Language, **values: Any) -> str:
    pair = TEXTS.get(key)
    if pair is None:
        return key
    text = pair[0] if lang == "vi" else pair[1]
    return text.format(**values) if values else text
