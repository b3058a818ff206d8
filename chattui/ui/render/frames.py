"""Coalesce many "please redraw" requests into at most one call per frame.

A stream delivers deltas far more often than a terminal can show them. :class:`FrameThrottle`
turns any number of :meth:`~FrameThrottle.request` calls into one call of the callback, no sooner
than ``interval`` after the previous call ended, and later if that call was expensive (the caller
reports the cost of the work that repeats every frame). It uses a plain event-loop timer: Textual's
one-shot timers silently drop a tick that starts late and fail on a zero delay.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from time import monotonic

__all__ = ["FrameThrottle"]


class FrameThrottle:
    """Runs ``callback`` at most once per frame after one or more requests."""

    def __init__(
        self,
        callback: Callable[[], object],
        *,
        interval: float,
        post: Callable[[Callable[[], object]], object] | None = None,
        load: float = 2.0,
        longest: float = 0.5,
    ) -> None:
        """
        Args:
            callback: The work to do (e.g. render what was buffered).
            interval: Shortest time between the end of one call and the next.
            post: Runs a callable on the owner's queue (e.g. a widget's ``call_later``);
                by default the callback runs straight from the event-loop timer.
            load: The next call waits at least ``load`` times the reported repeated cost...
            longest: ... but never more than ``longest`` seconds.
        """
        self._callback = callback
        self._interval = interval
        self._post = post
        self._load = load
        self._longest = longest
        self._handle: asyncio.TimerHandle | None = None
        self._next = 0.0

    @property
    def pending(self) -> bool:
        """True if a call is scheduled."""
        return self._handle is not None

    def request(self) -> None:
        """Ask for a call on the next frame (cheap; repeated requests are merged)."""
        if self._handle is None:
            delay = max(0.0, self._next - monotonic())
            self._handle = asyncio.get_running_loop().call_later(delay, self._fire)
        # Otherwise the scheduled call will see the new work.

    def cancel(self) -> None:
        """Drop the scheduled call, if any (the owner does the work itself)."""
        if self._handle is not None:
            self._handle.cancel()
            self._handle = None

    def done(self, repeated_cost: float) -> None:
        """Record that the work was done; ``repeated_cost`` spaces out the next frame."""
        delay = min(max(self._interval, self._load * repeated_cost), self._longest)
        self._next = monotonic() + delay

    def _fire(self) -> None:
        handle = self._handle
        if handle is None:
            return
        if self._post is None:
            self._run(handle)
        else:
            self._post(lambda: self._run(handle))

    def _run(self, handle: asyncio.TimerHandle) -> None:
        if handle is self._handle:  # not cancelled or superseded meanwhile
            self._handle = None
            self._callback()
