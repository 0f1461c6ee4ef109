"""`python3 -m bench [PART …]` — run benchmark parts and write their sections of BENCHMARKS.md."""

from __future__ import annotations

import argparse
import importlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.report import write_section

PARTS = ("ingest", "search", "coverage", "load")
COVERAGE_RECORDS = 1_000_000


def _module(name: str) -> Any:
    return importlib.import_module(f"bench.{name}")


def _coverage() -> tuple[dict[str, Any], str]:
    coverage = _module("coverage")
    figures = coverage.run(COVERAGE_RECORDS)
    return figures, coverage.markdown(figures)


RUNNERS: dict[str, Callable[[], tuple[dict[str, Any], str]]] = {
    "ingest": lambda: _module("ingest").run(),
    "search": lambda: _module("search").run(),
    "coverage": _coverage,
    "load": lambda: _module("load").run(),
}
OUTPUT = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    # No `choices=` here: argparse rejects an empty list against choices with nargs="*".
    parser.add_argument("parts", nargs="*", help=f"any of {', '.join(PARTS)} (default: all)")
    args = parser.parse_args()
    unknown = [p for p in args.parts if p not in PARTS]
    if unknown:
        parser.error(f"unknown part(s) {', '.join(unknown)}; choose from {', '.join(PARTS)}")
    for part in args.parts or PARTS:
        print(f"== bench {part}", flush=True)
        figures, body = RUNNERS[part]()
        print(json.dumps(figures, indent=2, default=str), flush=True)
        write_section(OUTPUT, part, body)
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
