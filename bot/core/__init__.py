"""Pure trading logic: no I/O, no wall clock. Time arrives on events."""
