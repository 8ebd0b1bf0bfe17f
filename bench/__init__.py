"""Benchmarks: `make bench` runs every benchmark module and prints side-by-side ratios."""
