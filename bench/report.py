"""BENCHMARKS.md: one section per part, replaced in place so parts can be re-run alone."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from bench.machine import describe

HEADER = """# Benchmarks

Written by `make bench` (`python3 -m bench [PART …]`). Figures are medians unless stated; every
baseline is measured in the same run on the same machine, and the ratio is ours ÷ baseline.
Benchmarks are not tests: nothing asserts a timing.
"""


def write_section(path: Path, part: str, body: str) -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else HEADER
    machine = ", ".join(f"{k}: {v}" for k, v in describe().items())
    stamp = dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
    section = (
        f"<!-- part:{part} -->\n## {part}\n\n_Measured {stamp} on {machine}._\n\n"
        f"{body.strip()}\n<!-- /part:{part} -->\n"
    )
    pattern = re.compile(rf"<!-- part:{part} -->.*?<!-- /part:{part} -->\n", re.S)
    if pattern.search(text):
        text = pattern.sub(lambda _m: section, text)
    else:
        text = text.rstrip("\n") + "\n\n" + section
    path.write_text(text, encoding="utf-8")
