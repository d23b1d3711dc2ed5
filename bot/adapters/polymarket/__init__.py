"""Live Polymarket market data: Gamma scanner, CLOB REST books, CLOB WebSocket market channel."""
