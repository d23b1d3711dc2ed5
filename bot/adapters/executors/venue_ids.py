"""Durable map from our client order ids to the venue's order ids (live mode).

Polymarket names an order by the hash of the signed order, which it tells us only after
accepting it; it has no field for our own id. So the pairing is written down here (one JSON line
per order, flushed and fsynced) the moment the venue answers, and read back at startup so a
restarted bot polls and cancels the same venue orders instead of placing new ones. The
crash window between the venue's answer and this write is closed by startup reconciliation
(matching the venue's open orders and trades), in ``live.LiveExecutor``.
"""

from __future__ import annotations

import json
import os
from pathlib import Path


class VenueIdMap:
    """In memory when ``path`` is None (tests, dry runs); otherwise an append-only JSONL file."""

    def __init__(self, path: Path | None = None) -> None:
        self.path = path
        self._ids: dict[str, str] = {}
        if path is not None and path.exists():
            for line in path.read_text().splitlines():
                if not line.strip():
                    continue
                try:
                    row = json.loads(line)
                    self._ids[str(row["client_order_id"])] = str(row["venue_order_id"])
                except (ValueError, KeyError, TypeError):
                    # A torn last line from a crash mid-write: that order is found again by reconciliation.
                    continue

    def get(self, client_order_id: str) -> str | None:
        return self._ids.get(client_order_id)

    def put(self, client_order_id: str, venue_order_id: str) -> None:
        if self._ids.get(client_order_id) == venue_order_id:
            return
        self._ids[client_order_id] = venue_order_id
        if self.path is None:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        line = json.dumps({"client_order_id": client_order_id, "venue_order_id": venue_order_id})
        with self.path.open("a") as handle:
            handle.write(line + "\n")
            handle.flush()
            os.fsync(handle.fileno())

    def known_venue_ids(self) -> set[str]:
        return set(self._ids.values())

    def __len__(self) -> int:
        return len(self._ids)
