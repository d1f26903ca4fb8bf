"""What checking a report's signature costs the validator, in process: the canonical form (a
strict JSON read and RFC 8785) and the Ed25519 verification, on realistic signed bodies.

Only the work a signature adds is timed: decoding the submission happens for every report
anyway. Each body has its own unit and key, as in a round, and the best of a few rounds is
taken, so another process's burst on a shared machine does not count.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from baocao.load import Planned, encode
from services.validator.domain.signatures import UnitKey, signature_refusal
from shared.decoding import decode_submission
from shared.schemas import Submission
from shared.signing import sign

ROUNDS = 5


def verify_cost_us(sample: Sequence[Planned], rounds: int = ROUNDS) -> float:
    """Microseconds of CPU per report to judge its signature."""
    now = datetime.now(UTC)
    cases = []
    for item in sample:
        private = Ed25519PrivateKey.generate()
        data = encode(sign(json.loads(item.body()), private, "bench", now))
        submission = decode_submission(data)
        assert isinstance(submission, Submission)
        assert submission.signature is not None
        key = UnitKey(item.unit.code, "bench", private.public_key(), now - timedelta(days=1))
        cases.append((data, submission, submission.signature, {"bench": key}))
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for data, submission, signature, keys in cases:
            refusal = signature_refusal(
                data, submission.unit, signature, submission.signed_at, keys, now
            )
            assert refusal is None, refusal
        best = min(best, (time.process_time() - started) / len(cases))
    return best * 1e6
