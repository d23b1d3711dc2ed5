"""Pure records shared by every layer: markets, books, signals, orders, fills, positions, events."""
