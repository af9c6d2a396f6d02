"""Errors of the sync layer: each names its reason (a stable code) and says it in Vietnamese."""

from __future__ import annotations

import re


class SyncError(Exception):
    """A refusal or a failure the user must see. ``reason`` is a stable code (tests, reports)."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message

    def __str__(self) -> str:
        return self.message


_NOT_SHOWN = re.compile(
    "[\x00-\x1f\x7f-\x9f\u00ad\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\ud800-\udfff]"
)


def shown(value: object, limit: int = 60) -> str:
    """A value from a file quoted in a message or a window: cut when long; characters that would not
    print (a lone surrogate would even stop the console) or that would reorder the text around them
    (bidirectional controls) written as ``\\uXXXX``."""
    text = "" if value is None else str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return _NOT_SHOWN.sub(lambda m: f"\\u{ord(m.group()):04x}", text)
