"""Executors turn SubmitOrder actions into fills: paper (simulated on the book) or live."""
