"""The edges that drive the engine: the real-time loop, the offline runner, the benchmarks."""
