"""Measuring retrieval with the live code: the shared engine of the canary and the benchmarks."""
