"""Benchmarks (`make bench`): engine replay, web step latency and throughput, explorer."""
