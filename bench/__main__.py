"""`python3 -m bench [PART …]` — run benchmark parts and write their sections of BENCHMARKS.md."""

from __future__ import annotations

import argparse
import importlib
import json
from pathlib import Path

from bench.report import write_section

PARTS = ("ingest", "search", "coverage", "load")
OUTPUT = Path(__file__).resolve().parents[1] / "BENCHMARKS.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("parts", nargs="*", choices=PARTS, help="default: all parts")
    args = parser.parse_args()
    for part in args.parts or PARTS:
        print(f"== bench {part}", flush=True)
        module = importlib.import_module(f"bench.{part}")
        figures, body = module.run()
        print(json.dumps(figures, indent=2, default=str), flush=True)
        write_section(OUTPUT, part, body)
    print(f"wrote {OUTPUT}")


if __name__ == "__main__":
    main()
