"""Run benchmarks: `python -m bench` lists them, `python -m bench NAME…` runs some, `all` runs every one.

Each benchmark is a module of this package with a `main(argv)` function that prints a
table of measured figures; none of them asserts a timing.
"""

from __future__ import annotations

import importlib
import pkgutil
import sys
import time

import bench


def available() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(bench.__path__)
                  if not m.name.startswith("_"))


def main(argv: list[str]) -> int:
    names = available()
    if not argv:
        print("benchmarks:", ", ".join(names))
        print("run: python -m bench NAME [NAME …] | all")
        return 0
    chosen = names if argv == ["all"] else argv
    unknown = [n for n in chosen if n not in names]
    if unknown:
        print(f"unknown benchmark(s): {', '.join(unknown)}; have {', '.join(names)}")
        return 2
    for name in chosen:
        module = importlib.import_module(f"bench.{name}")
        if not hasattr(module, "main"):
            continue
        print(f"\n=== bench.{name}")
        started = time.perf_counter()
        module.main([])
        print(f"(bench.{name} took {time.perf_counter() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
