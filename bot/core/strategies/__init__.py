"""Strategies: read market state, return intents. None of them ever calls an exchange."""
