"""From a passphrase to a key: scrypt, with its cost written beside every key it wraps.

scrypt (RFC 7914) is memory-hard and ships in ``cryptography``, which KhaoSat already uses, so no
new dependency is needed (Argon2id would need argon2-cffi and is not stronger in a way that matters
here). The cost N=2^16, r=8, p=1 takes about 0.5 s and 64 MB on the reference machine
(docs/performance.md): slow enough that guessing a ten-character passphrase on a stolen laptop is
hopeless, fast enough that unlocking stays under a second.

Tests run hundreds of unlocks: when the program runs from source (never in the installed program)
``KHAOSAT_TEST_FAST_KDF=1`` lowers the cost of keys made from then on. The cost is stored with each
wrapped key, so such keys keep opening with their own cost wherever they go.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Any

from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

TEST_ENV = "KHAOSAT_TEST_FAST_KDF"

# Limits on a cost read from a file (a hostile backup must not ask for gigabytes of memory).
MAX_LOG2_N, MAX_R, MAX_P = 20, 16, 4


class KdfError(ValueError):
    """A cost or salt read from a file is out of bounds."""


@dataclass(frozen=True)
class ScryptCost:
    n: int
    r: int
    p: int

    def to_json(self) -> dict[str, Any]:
        return {"kdf": "scrypt", "n": self.n, "r": self.r, "p": self.p}

    @classmethod
    def from_json(cls, doc: Any) -> ScryptCost:
        try:
            if doc["kdf"] != "scrypt":
                raise KdfError("unknown kdf")
            n, r, p = (doc[k] for k in ("n", "r", "p"))
        except (KeyError, TypeError) as exc:
            raise KdfError("bad kdf parameters") from exc
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (n, r, p)):
            raise KdfError("bad kdf parameters")
        if n < 2 or n & (n - 1) or n > 2**MAX_LOG2_N or not 1 <= r <= MAX_R or not 1 <= p <= MAX_P:
            raise KdfError("kdf parameters out of bounds")
        return cls(n, r, p)


PRODUCTION = ScryptCost(2**16, 8, 1)
FAST_FOR_TESTS = ScryptCost(2**4, 8, 1)


def default_cost() -> ScryptCost:
    """The cost for a key wrapped now: PRODUCTION, except in a test run from source."""
    if not getattr(sys, "frozen", False) and os.environ.get(TEST_ENV) == "1":
        return FAST_FOR_TESTS
    return PRODUCTION


def derive(passphrase: str, salt: bytes, cost: ScryptCost, length: int = 32) -> bytes:
    """``passphrase`` must already be normalised (app.security.passphrase.normalise)."""
    if len(salt) < 16:
        raise KdfError("salt too short")
    return Scrypt(salt=salt, length=length, n=cost.n, r=cost.r, p=cost.p).derive(passphrase.encode("utf-8"))
