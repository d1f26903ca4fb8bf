"""Decoding a submission from bytes, strictly: the same rules over HTTP and NATS.

Every reason it gives is short and printable whatever the body holds: a name taken from the
body is shown cut to ``SHOWN_CHARACTERS`` with invisible characters escaped, and at most
``MAX_REASONS`` reasons are listed, so a rejection always fits in a NATS message (and in a
notice, a header, a log line) even for a body of a million bytes.
"""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

from pydantic import ValidationError

from shared.schemas import Reason, Submission

# As many reasons as a verdict carries (services/validator/domain/verdicts.py): the last one
# counts the rest.
MAX_REASONS = 50
SHOWN_CHARACTERS = 64
# Python refuses to read longer integers (sys.get_int_max_str_digits); refused here first, with
# a message for the sender rather than one for a Python programmer.
MAX_INTEGER_DIGITS = 4300
_FIELDS = frozenset(Submission.model_fields)


class _Undecodable(ValueError):
    pass


def shown(text: str) -> str:
    """``text`` from a body as a reason shows it: at most ``SHOWN_CHARACTERS`` characters, then
    an ellipsis; control, format and separator characters escaped (``\\r``, ``\\u202e``)."""
    cut = text[:SHOWN_CHARACTERS]
    escaped = "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in cut)
    return escaped + ("…" if len(text) > SHOWN_CHARACTERS else "")


def _refuse_constant(name: str) -> Any:
    raise _Undecodable(f"{name} is not a number JSON allows")


def _refuse_long_integer(digits: str) -> int:
    if (length := len(digits.lstrip("-"))) > MAX_INTEGER_DIGITS:
        raise _Undecodable(f"an integer of {length} digits is longer than any value")
    return int(digits)


def _refuse_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise _Undecodable(f"key '{shown(key)}' appears twice")
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


def parse_json(data: bytes) -> Any:
    """``data`` as JSON, strictly: numbers with a fraction or exponent as Decimal, and no
    duplicate key, NaN, integer of more than ``MAX_INTEGER_DIGITS`` digits, NUL or lone
    surrogate. Raises ValueError (or RecursionError) saying what is wrong.

    The signature's canonical form (shared/signing.py) is computed from this same reading, so
    a body is signed as the validator reads it."""
    document = json.loads(
        data,
        parse_float=Decimal,
        parse_int=_refuse_long_integer,
        parse_constant=_refuse_constant,
        object_pairs_hook=_refuse_duplicate_keys,
    )
    _refuse_unstorable_text(document)
    return document


def decode_submission(data: bytes) -> Submission | list[Reason]:
    try:
        document = parse_json(data)
    except (ValueError, RecursionError) as error:
        return [
            Reason(
                code="malformed_json",
                message=f"Nội dung không phải JSON hợp lệ: {error}",
                message_en=f"The body is not valid JSON: {error}",
            )
        ]
    # Unknown fields are found here rather than by the model, which would describe each of
    # perhaps 100,000 of them before all but the first few were dropped.
    unknown = [key for key in document if key not in _FIELDS] if isinstance(document, dict) else []
    try:
        submission = Submission.model_validate(
            {k: v for k, v in document.items() if k in _FIELDS} if unknown else document
        )
    except ValidationError as error:
        problems = [
            (".".join(shown(str(part)) for part in e["loc"]), e["msg"])
            for e in error.errors(include_url=False)
        ]
    else:
        if not unknown:
            return submission
        problems = []
    # The model's own words for a field it does not know.
    problems += [(shown(key), "Extra inputs are not permitted") for key in unknown[:MAX_REASONS]]
    return _envelope_reasons(problems, len(problems) + max(0, len(unknown) - MAX_REASONS))


def _envelope_reasons(problems: list[tuple[str, str]], total: int) -> list[Reason]:
    """One ``invalid_envelope`` reason per problem, at most ``MAX_REASONS`` in all."""
    listed = problems if total <= MAX_REASONS else problems[: MAX_REASONS - 1]
    reasons = [
        Reason(
            code="invalid_envelope",
            message=f"Sai cấu trúc báo cáo tại {where or 'gốc'}: {what}",
            message_en=f"{where or 'body'}: {what}",
        )
        for where, what in listed
    ]
    if total > len(listed):
        more = total - len(listed)
        reasons.append(
            Reason(
                code="too_many_reasons",
                message=f"Còn {more} lỗi khác chưa liệt kê; hãy sửa các lỗi trên rồi gửi lại",
                message_en=f"{more} more problems not listed; fix the ones above and resubmit",
            )
        )
    return reasons
