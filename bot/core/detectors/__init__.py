"""Incremental detectors: O(1) work per tick per token, matching textbook references to 1e-9."""
