"""A wall clock for tests that moves only when told: ``Store(..., wall=clock)`` stamps changes with
it, so "this edit came later" is ``clock.advance(0.005)`` instead of sleeping."""

from __future__ import annotations

import time


class ManualClock:
    def __init__(self, start: float | None = None):
        self.now = time.time() if start is None else start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds
