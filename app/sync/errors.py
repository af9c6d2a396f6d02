"""Errors of the sync layer: each names its reason (a stable code) and says it in Vietnamese."""

from __future__ import annotations


class SyncError(Exception):
    """A refusal or a failure the user must see. ``reason`` is a stable code (tests, reports)."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason
        self.message = message

    def __str__(self) -> str:
        return self.message
