"""Generated evaluation queries for forgiving search: what people get wrong, made from records.

From (record, text) pairs and a seed, deterministically:
- `typo`: "<type> <holder>" with one edit (a letter dropped, doubled, swapped with its neighbour
  or replaced by a keyboard neighbour) in one holder syllable of 4+ letters;
- `i/y`: "<type> <holder>" with the i/y spelling of one syllable swapped (lý/lí, ký/kí);
- `partial-diacritics`: "<type> <holder>" with marks kept on some syllables only;
- `unmatched-word`: "<type> <holder>" plus a syllable that no record holds;
- `ocr-damaged`: a proper name found only in one record's text, asked for correctly, while
  that record's text has one letter of it misread, in a syllable of 3+ letters (returned in
  `damaged_pairs`).
Pure: no I/O. Relevant = the record the query was made from, plus any other record with the
same type and holder (the corpus has namesakes).
"""

from __future__ import annotations

import random
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from domain.search.query import FUZZY_MIN_CHARS
from domain.search.schema import search_text_values
from domain.text.vietnamese import (
    capitalized_runs,
    fold_diacritics,
    fold_spelling,
    normalize_text,
    syllables,
)

Pair = tuple[Mapping[str, Any], str]
PER_KIND = 30
_KEYBOARD = ["qwertyuiop", "asdfghjkl", "zxcvbnm"]
# One-letter misreads Tesseract makes on Vietnamese print (tone marks misread included).
_OCR_SWAPS = {"i": "l", "l": "i", "n": "u", "u": "n", "e": "c", "c": "e", "h": "b", "o": "c",
              "t": "f", "g": "q", "ấ": "ã", "ầ": "à", "ồ": "ô", "ạ": "a", "ế": "é", "ộ": "ô"}
_ONSETS = ("b", "ch", "kh", "ph", "th", "tr", "x", "v")
_RIMES = ("oenh", "uych", "oap", "uyp", "oeo", "uyu", "oong")


@dataclass(frozen=True)
class Generated:
    queries: list[dict[str, Any]]
    damaged_pairs: list[Pair]  # the input pairs, some with their text misread (ocr-damaged)


def _neighbours(ch: str) -> str:
    for row in _KEYBOARD:
        k = row.find(ch)
        if k >= 0:
            return row[max(0, k - 1):k] + row[k + 1:k + 2]
    return ""


def one_edit(word: str, rng: random.Random) -> str:
    """`word` with one typing slip; the kind of slip picked by `rng`."""
    k = rng.randrange(len(word))
    slip = rng.choice(("drop", "double", "swap", "neighbour"))
    if slip == "drop":
        return word[:k] + word[k + 1:]
    if slip == "double":
        return word[:k + 1] + word[k:]
    if slip == "swap" and k + 1 < len(word) and word[k] != word[k + 1]:
        return word[:k] + word[k + 1] + word[k] + word[k + 2:]
    near = _neighbours(fold_diacritics(word[k]).lower())
    return word[:k] + (rng.choice(near) if near else word[k]) + word[k + 1:]


_I_Y_ONSETS = frozenset({"k", "l", "m", "qu", "s", "t", "h"})  # where both spellings are in use


def swap_i_y(word: str) -> str | None:
    """`lý` <-> `lí`, `kỹ` <-> `kĩ` (tone kept); None when the syllable has no such variant
    in use (`thị` is never `thỵ`)."""
    bare = fold_diacritics(word).lower()
    if len(bare) < 2 or bare[-1] not in "iy" or bare[:-1] not in _I_Y_ONSETS:
        return None
    decomposed = unicodedata.normalize("NFD", word)
    base = decomposed.rstrip("\u0300\u0301\u0303\u0309\u0323")
    if base[-1].lower() not in "iy":
        return None
    swapped = {"i": "y", "y": "i", "I": "Y", "Y": "I"}[base[-1]]
    return unicodedata.normalize("NFC", base[:-1] + swapped + decomposed[len(base):])


def _strip_some(words: list[str], rng: random.Random) -> str | None:
    marked = [i for i, w in enumerate(words) if fold_diacritics(w) != w]
    if len(marked) < 2:
        return None
    bare = set(rng.sample(marked, rng.randint(1, len(marked) - 1)))
    return " ".join(fold_diacritics(w) if i in bare else w for i, w in enumerate(words))


def absent_syllable(vocabulary: set[str], rng: random.Random) -> str:
    while True:
        word = rng.choice(_ONSETS) + rng.choice(_RIMES)
        if word not in vocabulary:
            return word


def _holder_queries(pairs: Sequence[Pair], rng: random.Random,
                    vocabulary: set[str]) -> list[dict[str, Any]]:
    by_key: dict[tuple[str, str], list[str]] = defaultdict(list)
    for record, _ in pairs:
        key = (fold_spelling(str(record.get("document_type", ""))).lower(),
               fold_spelling(str(record.get("holder_name", ""))).lower())
        by_key[key].append(record["result_id"])
    out: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record, _ in rng.sample(list(pairs), len(pairs)):
        kind_type, holder = str(record.get("document_type") or ""), str(record.get("holder_name")
                                                                       or "")
        names = holder.split()
        if not kind_type or len(names) < 2:
            continue
        relevant = by_key[(fold_spelling(kind_type).lower(), fold_spelling(holder).lower())]
        for kind, variant in _holder_variants(kind_type.lower().split(), names, rng,
                                              vocabulary).items():
            if variant and len(out[kind]) < PER_KIND:
                out[kind].append({"kind": kind, "query": variant, "relevant": sorted(relevant)})
    return [q for kind in sorted(out) for q in out[kind]]


def _holder_variants(type_words: list[str], names: list[str], rng: random.Random,
                     vocabulary: set[str]) -> dict[str, str | None]:
    """Each kind's "<type> <holder>" query; the i/y spelling may be swapped in the type too
    (`đăng ký` / `đăng kí`)."""
    typed = " ".join(type_words)
    variants: dict[str, str | None] = {}
    long = [i for i, w in enumerate(names) if len(w) >= 4]
    if long:
        k = rng.choice(long)
        typo = one_edit(names[k], rng)
        if typo != names[k]:
            variants["typo"] = f"{typed} {' '.join([*names[:k], typo, *names[k + 1:]])}"
    words = [*type_words, *names]
    swaps = [(i, s) for i, w in enumerate(words) if (s := swap_i_y(w))]
    if swaps:
        k, swapped = rng.choice(swaps)
        variants["i/y"] = " ".join([*words[:k], swapped, *words[k + 1:]])
    partial = _strip_some(names, rng)
    variants["partial-diacritics"] = f"{typed} {partial}" if partial else None
    variants["unmatched-word"] = f"{typed} {' '.join(names)} {absent_syllable(vocabulary, rng)}"
    return variants


def _misread(word: str, rng: random.Random) -> str | None:
    spots = [i for i, ch in enumerate(word) if ch.lower() in _OCR_SWAPS]
    if not spots:
        return None
    k = rng.choice(spots)
    wrong = _OCR_SWAPS[word[k].lower()]
    return word[:k] + (wrong.upper() if word[k].isupper() else wrong) + word[k + 1:]


def _folded_strings(record: Mapping[str, Any], text: str) -> list[str]:
    """The record's searchable strings as folded syllables, each padded with spaces."""
    return [" " + " ".join(fold_spelling(s) for s in syllables(v)) + " "
            for v in search_text_values(record, text)]


def _text_only_runs(pairs: Sequence[Pair]) -> dict[str, list[str]]:
    """Proper names (3+ syllables) of a record's text that no other record holds side by side
    anywhere, and that the record's own metadata does not hold either: asked for, they name
    that record through its text alone."""
    strings = {record["result_id"]: _folded_strings(record, text) for record, text in pairs}
    by_gram: dict[str, set[str]] = defaultdict(set)
    for rid, values in strings.items():
        for value in values:
            words = value.split()
            for i in range(len(words) - 2):
                by_gram[" ".join(words[i:i + 3])].add(rid)
    runs: dict[str, list[str]] = defaultdict(list)
    for record, text in pairs:
        rid = record["result_id"]
        for run in capitalized_runs(normalize_text(text)):
            words = fold_spelling(run).split()
            if len(words) < 3:
                continue
            holders = by_gram[" ".join(words[:3])] - {rid}
            padded = f" {' '.join(words)} "
            if any(padded in v for other in holders for v in strings[other]):
                continue
            if not any(padded in v for v in strings[rid][1:]):
                runs[rid].append(run)
    return runs


def _ocr_queries(pairs: Sequence[Pair], rng: random.Random
                 ) -> tuple[list[dict[str, Any]], dict[str, str]]:
    runs = _text_only_runs(pairs)
    texts = {record["result_id"]: normalize_text(text) for record, text in pairs}
    queries: list[dict[str, Any]] = []
    damaged: dict[str, str] = {}
    for rid in sorted(runs, key=lambda _: rng.random()):
        run = rng.choice(runs[rid])
        words = run.split()
        # A misread of a syllable shorter than FUZZY_MIN_CHARS is not corrected (see
        # domain.search.query): the damage goes to a longer one.
        longer = [i for i, w in enumerate(words) if len(w) >= FUZZY_MIN_CHARS]
        if not longer:
            continue
        k = rng.choice(longer)
        text = texts[rid]
        spelt = _find_case_insensitive(text, run)
        if spelt is None:
            continue
        printed = text[spelt:spelt + len(run)].split()
        wrong = _misread(printed[k], rng) if len(printed) == len(words) else None
        if not wrong:
            continue
        printed[k] = wrong
        damaged[rid] = text.replace(text[spelt:spelt + len(run)], " ".join(printed))
        queries.append({"kind": "ocr-damaged", "query": run.title(), "relevant": [rid]})
        if len(queries) >= PER_KIND:
            break
    return queries, damaged


def _find_case_insensitive(text: str, run: str) -> int | None:
    start = text.lower().find(run)
    return start if start >= 0 else None


def generate(pairs: Iterable[Pair], seed: int = 12) -> Generated:
    """Every generated kind over `pairs` (numbered g001…), and the pairs as the index should
    hold them (the ocr-damaged records' text misread)."""
    pairs = sorted(pairs, key=lambda p: p[0]["result_id"])
    rng = random.Random(seed)
    vocabulary = {fold_spelling(s) for _, text in pairs for s in syllables(text)}
    vocabulary |= {fold_spelling(s) for record, _ in pairs
                   for v in search_text_values(record, "") for s in syllables(v)}
    queries = _holder_queries(pairs, rng, vocabulary)
    ocr, damaged = _ocr_queries(pairs, rng)
    queries += ocr
    for n, query in enumerate(queries, 1):
        query["qid"] = f"g{n:03d}"
    out_pairs = [(record, damaged.get(record["result_id"], text)) for record, text in pairs]
    return Generated(queries, out_pairs)
