"""Run every benchmark: `python -m bench [name ...]` (default: all of them, in order)."""

from __future__ import annotations

import importlib
import sys

BENCHMARKS = ("serving", "startup", "slow_clients", "reload", "embed_flood", "mixed", "export", "poller_bytes")


def main(names: list[str]) -> None:
    """Import bench.<name> and call its main() for each name."""
    for name in names or BENCHMARKS:
        print(f"\n=== bench.{name} ===", flush=True)
        importlib.import_module(f"bench.{name}").main()


if __name__ == "__main__":
    main(sys.argv[1:])
