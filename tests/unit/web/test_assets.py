"""The web app serves every asset itself, as vendored, and every text it shows is translated."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from services.web.texts import TEXTS

WEB = Path(__file__).resolve().parents[3] / "services" / "web"
STATIC = WEB / "static"
TEMPLATES = WEB / "templates"
TEXT_KEY = re.compile(r"""\bt\(\s*["']([a-z0-9_.]+)["']""")


def test_the_vendored_scripts_are_the_published_ones() -> None:
    sums = (STATIC / "vendor" / "SHA256SUMS").read_text(encoding="utf-8").splitlines()
    assert len(sums) == 2
    for line in sums:
        digest, name = line.split()
        assert hashlib.sha256((STATIC / "vendor" / name).read_bytes()).hexdigest() == digest
    assert (STATIC / "vendor" / "htmx.LICENSE").exists()
    assert (STATIC / "vendor" / "htmx-ext-sse.LICENSE").exists()


@pytest.mark.parametrize(
    "path",
    sorted(p for p in [*TEMPLATES.rglob("*.html"), *STATIC.glob("*.css"), *STATIC.glob("*.js")]),
    ids=lambda p: p.name,
)
def test_nothing_is_loaded_from_another_origin(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"""(src|href|url\()\s*=?\s*["']?(https?:)?//""", text), path


def test_no_template_uses_inline_script_or_style_the_csp_would_block() -> None:
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path
        assert not re.search(r"\sstyle=", text), path
        assert not re.search(r"\son[a-z]+=", text), path  # onclick= and the like


def test_every_text_a_template_shows_has_vietnamese_and_english() -> None:
    used = {
        key
        for path in TEMPLATES.rglob("*.html")
        for key in TEXT_KEY.findall(path.read_text(encoding="utf-8"))
    }
    assert used, "templates show texts through t(...)"
    # A key built in the template ("province.status." ~ status) must at least name a family
    # of keys that exists; every other key must exist as written.
    missing = sorted(
        key
        for key in used
        if (
            not any(k.startswith(key) for k in TEXTS)
            if key.endswith((".", "_"))
            else key not in TEXTS
        )
    )
    assert missing == []
    for key, (vi, en) in TEXTS.items():
        assert vi.strip(), key
        assert en.strip(), key
