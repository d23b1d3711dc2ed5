"""Feeds produce engine events: the offline simulator, recorded-data replay, and (later) live."""
