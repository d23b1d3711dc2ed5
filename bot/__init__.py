"""Polybot: a single-user trading bot for Polymarket prediction markets."""
