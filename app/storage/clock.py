"""A hybrid logical clock (HLC) for change stamps.

A stamp is ``PPPPPPPPPPPPPPP-CCCCC-NODE``: 15 digits of milliseconds since the epoch, a
5-digit counter and the laptop id. Stamps sort as text, and every new stamp is greater than
every stamp this laptop has made or seen, even when the laptop's clock is wrong (set back
a year, or jumping around after a flat CMOS battery): the physical part never goes backwards,
the counter breaks ties, and the laptop id makes stamps from two laptops distinct.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True, order=True)
class Stamp:
    millis: int
    counter: int
    node: str

    def __str__(self) -> str:
        return f"{self.millis:015d}-{self.counter:05d}-{self.node}"

    @classmethod
    def parse(cls, text: str) -> Stamp:
        millis, counter, node = text.split("-", 2)
        if (
            len(millis) != 15
            or len(counter) != 5
            or not millis.isdigit()
            or not counter.isdigit()
            or not node
        ):
            raise ValueError(f"not a clock stamp: {text!r}")
        return cls(int(millis), int(counter), node)


MAX_COUNTER = 99_999


class HybridClock:
    def __init__(self, node: str, last: str | None = None, wall: Callable[[], float] = time.time):
        self.node = node
        self._wall = wall
        self._last = Stamp.parse(last) if last else Stamp(0, 0, node)

    @property
    def last(self) -> Stamp:
        return self._last

    def now(self) -> Stamp:
        physical = int(self._wall() * 1000)
        if physical > self._last.millis:
            stamp = Stamp(physical, 0, self.node)
        elif self._last.counter < MAX_COUNTER:
            stamp = Stamp(self._last.millis, self._last.counter + 1, self.node)
        else:  # counter exhausted within one millisecond: borrow the next one
            stamp = Stamp(self._last.millis + 1, 0, self.node)
        self._last = stamp
        return stamp

    def observe(self, remote: str | Stamp) -> None:
        """Take in a stamp from another laptop so later local stamps sort after it."""
        r = Stamp.parse(remote) if isinstance(remote, str) else remote
        if (r.millis, r.counter) > (self._last.millis, self._last.counter):
            self._last = Stamp(r.millis, r.counter, self.node)
