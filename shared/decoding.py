"""Decoding a submission from bytes, strictly: the same rules over HTTP and NATS."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from shared.schemas import Reason, Submission


class _Undecodable(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _Undecodable(f"{name} is not a number JSON allows")


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Undecodable(f"key {key!r} appears twice")
        result[key] = value
    return result


def _refuse_unstorable_text(document: Any) -> None:
    """NUL and lone surrogates are valid JSON escapes but no text PostgreSQL (or UTF-8) can hold:
    a report carrying them could never be stored, judged or answered."""
    pending = [document]
    while pending:
        item = pending.pop()
        if isinstance(item, str):
            if "\x00" in item:
                raise _Undecodable("the text contains a NUL character (\\u0000)")
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                raise _Undecodable("the text contains a lone surrogate escape") from None
        elif isinstance(item, dict):
            pending.extend(item.keys())
            pending.extend(item.values())
        elif isinstance(item, list):
            pending.extend(item)


def decode_submission(data: bytes) -> Submission | list[Reason]:
    try:
        document = json.loads(
            data,
            parse_float=Decimal,
            parse_constant=_refuse_constant,
            object_pairs_hook=_refuse_duplicate_keys,
        )
        _refuse_unstorable_text(document)
    except (ValueError, RecursionError) as error:
        return [
            Reason(
                code="malformed_json",
                message=f"Nội dung không phải JSON hợp lệ: {error}",
                message_en=f"The body is not valid JSON: {error}",
            )
        ]
    try:
        return Submission.model_validate(document)
    except ValidationError as error:
        return [
            Reason(
                code="invalid_envelope",
                message=f"Sai cấu trúc báo cáo tại {'.'.join(map(str, e['loc'])) or 'gốc'}: {e['msg']}",
                message_en=f"{'.'.join(map(str, e['loc'])) or 'body'}: {e['msg']}",
                indicator=None,
            )
            for e in error.errors(include_url=False)
        ]
