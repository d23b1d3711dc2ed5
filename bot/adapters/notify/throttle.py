"""Per-channel pacing and de-duplication, on an injected monotonic clock (seconds) so tests can
drive them without sleeping.

``Pacer`` spaces sends at least ``min_interval_s`` apart (Telegram allows about one message per
second per chat); messages that arrive meanwhile are batched by the channel worker. ``Deduper``
drops a message whose text was already sent within ``window_s`` (a flapping alert says it once).
"""

from __future__ import annotations

from collections import OrderedDict


class Pacer:
    def __init__(self, min_interval_s: float) -> None:
        self.min_interval_s = min_interval_s
        self._last: float | None = None

    def wait_s(self, now_s: float) -> float:
        """How long to wait before the next send is allowed."""
        if self._last is None:
            return 0.0
        return max(0.0, self._last + self.min_interval_s - now_s)

    def sent(self, now_s: float) -> None:
        self._last = now_s

    def hold(self, now_s: float, seconds: float) -> None:
        """The service asked us to back off (HTTP 429 retry_after): no send before now + seconds."""
        self._last = now_s + seconds - self.min_interval_s


class Deduper:
    MAX_KEYS = 1000

    def __init__(self, window_s: float) -> None:
        self.window_s = window_s
        self._seen: OrderedDict[str, float] = OrderedDict()

    def fresh(self, key: str, now_s: float) -> bool:
        """True the first time ``key`` is seen within the window (and remembers it)."""
        if self.window_s <= 0:
            return True
        last = self._seen.get(key)
        if last is not None and now_s - last < self.window_s:
            return False
        self._seen[key] = now_s
        self._seen.move_to_end(key)
        while len(self._seen) > self.MAX_KEYS:
            self._seen.popitem(last=False)
        return True
