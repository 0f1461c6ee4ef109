"""Synthetic results for the search benchmarks: realistic Vietnamese metadata and text.

Seeds are the 3 000 born-digital dev-text records. Each *base* record takes a seed and gives it
a new holder (surname, middle and given names recombined from the seeds' names) in metadata and
text alike, then runs the real `build_search_fields`. Segmentation costs ~10 ms a record, so a
million records are made as BASES distinct analysed bases × variants that change only cheap
metadata (result_id, result number, ID number, dates, status) — the analysed text fields of a
base are shared by its variants. The benchmark report states this.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

from domain.search.fields import build_search_fields
from domain.text.codes import code_key

DEV_TEXT = Path(__file__).resolve().parents[2] / "shared" / "corpus" / "dev-text"
STATUSES = ("active",) * 8 + ("revoked", "replaced")


def load_seeds() -> list[tuple[dict[str, Any], str]]:
    seeds = []
    for line in (DEV_TEXT / "manifest.jsonl").open(encoding="utf-8"):
        record = json.loads(line)
        text = "\f".join((DEV_TEXT / f).read_text(encoding="utf-8") for f in record["files"])
        seeds.append((record, text))
    return seeds


def name_parts(seeds: list[tuple[dict[str, Any], str]]) -> tuple[list[str], list[str], list[str]]:
    surnames, middles, givens = set(), set(), set()
    for record, _ in seeds:
        parts = str(record.get("holder_name", "")).split()
        if len(parts) >= 3:
            surnames.add(parts[0])
            middles.add(" ".join(parts[1:-1]))
            givens.add(parts[-1])
    return sorted(surnames), sorted(middles), sorted(givens)


def _rename(record: dict[str, Any], text: str, new_name: str) -> tuple[dict[str, Any], str]:
    old = str(record.get("holder_name") or "")
    record = dict(record, holder_name=new_name)
    if old:
        text = text.replace(old, new_name).replace(old.upper(), new_name.upper())
        if record.get("summary"):
            record["summary"] = record["summary"].replace(old, new_name)
    return record, text


def _make_base(args: tuple[dict[str, Any], str, str]) -> dict[str, Any]:
    record, text, new_name = args
    record, text = _rename(record, text, new_name)
    doc = {k: v for k, v in record.items() if k != "files"}
    doc["text"] = text
    doc.update(build_search_fields(record, text))
    return doc


def make_bases(count: int, seed: int = 7, processes: int = 2) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    seeds = load_seeds()
    surnames, middles, givens = name_parts(seeds)
    jobs = []
    for _ in range(count):
        record, text = rng.choice(seeds)
        name = f"{rng.choice(surnames)} {rng.choice(middles)} {rng.choice(givens)}"
        jobs.append((record, text, name))
    with ProcessPoolExecutor(processes) as pool:
        return list(pool.map(_make_base, jobs, chunksize=200))


def _date(rng: random.Random, start_year: int, end_year: int) -> str:
    return f"{rng.randint(start_year, end_year)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}"


def variants(bases: list[dict[str, Any]], total: int, seed: int = 11) -> Iterator[dict[str, Any]]:
    """`total` documents: base i % len(bases) with fresh cheap metadata."""
    rng = random.Random(seed)
    for n in range(total):
        base = bases[n % len(bases)]
        doc = dict(base)
        issued = _date(rng, 2008, 2026)
        number = (
            f"{rng.randint(1, 9999)}/{str(base.get('result_number', 'X/UBND')).split('/', 1)[-1]}"
        )
        holder_id = f"001{rng.randint(0, 999_999_999):09d}"
        doc.update(
            result_id=f"SYN-{n:07d}",
            result_number=number,
            result_number_key=code_key(number),
            holder_id_number=holder_id,
            issued_on=issued,
            valid_from=issued,
            valid_until=None if rng.random() < 0.5 else _date(rng, int(issued[:4]), 2030),
            status=rng.choice(STATUSES),
            digitized_on=_date(rng, 2022, 2026),
        )
        if doc["valid_until"] and doc["valid_until"] < issued:
            doc["valid_until"] = None
        doc["digitized_effective"] = doc["digitized_on"]
        doc["party_id_numbers"] = [holder_id]
        doc["codes"] = [code_key(number), holder_id, issued]
        yield doc
