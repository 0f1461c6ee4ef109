"""Relaxing a query that found (almost) nothing: corrections from the index's own vocabulary.

Fuzziness is applied once per query syllable against the index's term dictionary, not inside
the search: Elasticsearch's term suggester lists, for each long enough syllable of the query,
the indexed syllables one edit away (a letter dropped, doubled, swapped with its neighbour or
replaced) with their frequencies. The relaxed search then looks those candidates up as exact
terms (domain.search.es_query), which costs what a few more query words cost, where a `fuzzy`
query on every field would expand each syllable over every document's terms at search time.

All pure: the suggest request body, reading its answer, and the "did you mean" query taken from
the best relaxed hit.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Mapping, Sequence
from typing import Any

from domain.search.es_query import Corrections, relaxed_msm, strict_msm
from domain.search.query import ParsedQuery, parse_query
from domain.search.schema import TEXT_FOLDED, indexed_values
from domain.search.term_stats import TermStats
from domain.text.vietnamese import fold_spelling, normalize_text, syllables

SUGGESTER = "syllables"
# A syllable as typed held by at least this share of the records (and REAL_WORD_DOCS) is a
# common real word: it is only widened to much rarer neighbours (misreads of it in OCR text),
# never to other common words. A rarer one may be a slip for any neighbour (`khán` for `khánh`).
COMMON_SHARE = 0.01
REAL_WORD_DOCS = 3
MISREAD_RATIO = 0.2
MISREAD_DOCS = 2  # a neighbour in this few records is a misread whatever the index's size
CANDIDATES = 20  # per syllable: the syllable space is dense, and a misread is rare
CONTEXT_CANDIDATES = 10  # per syllable, looked up beside a neighbour only (see Corrections)
# Asked of the suggester: it ranks neighbours commonest first, and the rare ones (misreads of
# a common word) must not fall off the end of its list.
SUGGEST_SIZE = 50

MAX_TERM_FREQ = 2_000_000_000  # absolute document count: every syllable may be misread
_TOKEN_RE = re.compile(r"[^\W_]+")
# Longer free text is not relaxed: the strict gate already lets a quarter of it miss, and the
# relaxed request grows with every syllable (Elasticsearch caps a query's clauses).
MAX_RELAXED_SYLLABLES = 12
WHOLE_RUN = 4  # a run of free text this short (a name) is held as typed only whole


def suggest_body(parsed: ParsedQuery) -> dict[str, Any] | None:
    """A request asking only for corrections of the query's long syllables (no hits)."""
    words = [parsed.folded[i] for i in parsed.fuzzy_positions]
    if not words:
        return None
    term = {"field": TEXT_FOLDED, "suggest_mode": "always", "max_edits": 1, "prefix_length": 0,
            "min_word_length": 1, "size": SUGGEST_SIZE, "max_term_freq": MAX_TERM_FREQ}
    return {"size": 0, "track_total_hits": False, "query": {"match_none": {}},
            "suggest": {"text": " ".join(words), SUGGESTER: {"term": term}}}


def _common(docs: int, records: int) -> bool:
    return docs >= max(REAL_WORD_DOCS, COMMON_SHARE * records)


def _keep(typed_docs: int, candidate_docs: int, records: int) -> bool:
    """A rare or unknown syllable may become any neighbour (a slip); a common real word only
    a much rarer one (the record's text misread it)."""
    return (not _common(typed_docs, records)
            or candidate_docs <= max(MISREAD_DOCS, typed_docs * MISREAD_RATIO))


Candidates = dict[str, tuple[tuple[str, ...], tuple[str, ...]]]


def candidates_from(response: Mapping[str, Any], stats: TermStats) -> Candidates:
    """Folded syllable -> (corrections that may stand alone, further ones for pairs and names
    only): indexed syllables one edit away, most frequent first.

    A common word is never a correction on its own, whatever was typed: as a required term it
    would make the relaxed search walk most of the index (at a million records, `năm` is in
    every one) while telling nothing; beside its neighbour (a pair, a whole name) it is cheap
    and decisive. The relaxed gate lets one syllable miss anyway, which covers one slip.
    `stats` says how many records hold each syllable as typed."""
    typed, records = stats.syllables, stats.records
    out: Candidates = {}
    for entry in response.get("suggest", {}).get(SUGGESTER, []):
        word = entry["text"]
        options = sorted(entry.get("options", []), key=lambda o: (-o.get("freq", 0), o["text"]))
        close: list[str] = []
        context: list[str] = []
        for option in options:
            if option["text"] == word:
                continue
            freq = int(option.get("freq", 0))
            kept = _keep(typed.get(word, 0), freq, records) and not _common(freq, records)
            (close if kept else context).append(option["text"])
        out[word] = (tuple(close[:CANDIDATES]), tuple(context[:CONTEXT_CANDIDATES]))
    return out


def candidate_docs(response: Mapping[str, Any]) -> dict[str, int]:
    """Each syllable the suggester offered, with the number of records holding it."""
    return {option["text"]: int(option.get("freq", 0))
            for entry in response.get("suggest", {}).get(SUGGESTER, [])
            for option in entry.get("options", [])}


def alternatives(parsed: ParsedQuery, candidates: Candidates) -> Corrections:
    """Each folded syllable with its candidates (only at the positions that may be corrected)."""
    fuzzy = set(parsed.fuzzy_positions)
    close: list[tuple[str, ...]] = []
    wide: list[tuple[str, ...]] = []
    for i, word in enumerate(parsed.folded):
        alone, beside = candidates.get(word, ((), ())) if i in fuzzy else ((), ())
        close.append((word, *alone))
        wide.append((word, *alone, *beside))
    return Corrections(close=tuple(close), wide=tuple(wide))


def _pairs(words: Sequence[str]) -> list[tuple[str, str]]:
    return list(itertools.pairwise(words))


def _runs(positions: Sequence[int]) -> list[list[int]]:
    """Maximal runs of adjacent positions (free text between known phrases)."""
    runs: list[list[int]] = []
    for i in positions:
        if runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        else:
            runs.append([i])
    return runs


def _contains(haystack: Sequence[str], needle: Sequence[str]) -> bool:
    n = len(needle)
    return any(list(haystack[i:i + n]) == list(needle) for i in range(len(haystack) - n + 1))


def _folded_values(source: Mapping[str, Any]) -> list[list[str]]:
    return [[fold_spelling(s) for s in syllables(value)] for value in indexed_values(source)[0]]


def holds_every_syllable(parsed: ParsedQuery, source: Mapping[str, Any]) -> bool:
    held = {w for words in _folded_values(source) for w in words}
    return all(parsed.folded[i] in held for i in parsed.rest)


def widens(parsed: ParsedQuery, alts: Corrections) -> bool:
    """Whether the relaxed search can find records the strict one did not: some syllable has a
    correction, or the relaxed gate lets a syllable miss where the strict one does not."""
    if any(len(spellings) > 1 for spellings in alts.wide):
        return True
    n = len(parsed.rest)
    return relaxed_msm(n) < strict_msm(n)


def holds_as_typed(parsed: ParsedQuery, source: Mapping[str, Any]) -> bool:
    """Whether the record holds the query's free text as typed: every syllable, each short run
    (a name, up to WHOLE_RUN syllables) whole and in order in one field, and most adjacent
    pairs of a longer run side by side (not merely scattered over a long text: `Tây Hồ thành
    phố` and `Lương Thanh Quyên` hold every pair of `Hồ Thanh Quyên`, but not the name)."""
    values = _folded_values(source)
    return _holds_as_typed(parsed, values, _pairs_of(values))


def _pairs_of(values: Sequence[Sequence[str]]) -> set[tuple[str, str]]:
    return {pair for words in values for pair in _pairs(words)}


def _holds_as_typed(parsed: ParsedQuery, values: Sequence[Sequence[str]],
                    pairs: set[tuple[str, str]]) -> bool:
    """holds_as_typed over a record's folded values and their adjacent pairs."""
    held = {w for words in values for w in words}
    if any(parsed.folded[i] not in held for i in parsed.rest):
        return False
    for run in _runs(parsed.rest):
        words = [parsed.folded[i] for i in run]
        if len(words) <= WHOLE_RUN:
            if len(words) > 1 and not any(_contains(v, words) for v in values):
                return False
        elif 2 * sum(pair in pairs for pair in _pairs(words)) <= len(words) - 1:
            return False
    return True


def _typed_as_indexed(parsed: ParsedQuery, common_pairs: frozenset[str]) -> bool:
    """Every adjacent pair of the free text is one that many records hold: the query is spelt
    as the index spells it (a slip or a misread makes a rare pair)."""
    pairs = [" ".join(pair) for run in _runs(parsed.rest)
             for pair in _pairs([parsed.folded[i] for i in run])]
    return bool(pairs) and all(pair in common_pairs for pair in pairs)


def worth_relaxing(parsed: ParsedQuery, strict_total: int, top: Mapping[str, Any] | None,
                   common_pairs: frozenset[str] = frozenset()) -> bool:
    """Relax when there is free text (at most MAX_RELAXED_SYLLABLES syllables of it) and the
    strict reading found too little: nothing, or a best match holding the query's words only
    scattered (what a close spelling would find side by side is then likely elsewhere) unless
    every pair of the query is common in the index (`common_pairs`)."""
    if not parsed.rest or len(parsed.rest) > MAX_RELAXED_SYLLABLES:
        return False
    if strict_total == 0 or top is None:
        return True
    return not _typed_as_indexed(parsed, common_pairs) and not holds_as_typed(parsed, top)


def surely_relaxed(parsed: ParsedQuery, docs: Mapping[str, int]) -> bool:
    """Whether worth_relaxing is sure to say yes before the strict search runs: a free-text
    syllable that no record holds (`docs`: folded syllable -> records) is held by no strict
    match either, and makes every pair it is in rare."""
    if not parsed.rest or len(parsed.rest) > MAX_RELAXED_SYLLABLES:
        return False
    return any(docs.get(parsed.folded[i], -1) == 0 for i in parsed.rest)


def _spellings(source: Mapping[str, Any]) -> dict[str, str]:
    """Folded syllable -> its accented spelling in this record (metadata before the text)."""
    text, *values = indexed_values(source)[0]
    out: dict[str, str] = {}
    for value in [*values, text]:
        for syllable in syllables(value):
            out.setdefault(fold_spelling(syllable), syllable)
    return out


def _held(variants: tuple[str, ...], spellings: Mapping[str, str]) -> list[str]:
    """The candidates this record holds when it lacks the syllable as typed (commonest first)."""
    if variants[0] in spellings:
        return []
    return [v for v in variants[1:] if v in spellings]


def _beside(parsed: ParsedQuery, i: int, held: list[str], pairs: set[tuple[str, str]]) -> str:
    """Of the candidates held for syllable `i`, the first the record holds beside a neighbour
    of the query (`Vu Hong Ngaa`: `nga` after `hong`, not `ngay`, commoner and held too,
    elsewhere in the text), else the commonest."""
    before = parsed.folded[i - 1] if i > 0 else None
    after = parsed.folded[i + 1] if i + 1 < len(parsed.folded) else None
    return next((v for v in held if (before, v) in pairs or (v, after) in pairs), held[0])


def _cased_like(typed: str, word: str) -> str:
    """`word` in the case the user typed its slip in (`Loann` -> `Loan`, `HKOA` -> `HOA`)."""
    if len(typed) > 1 and typed.isupper():
        return word.upper()
    return word[:1].upper() + word[1:] if typed[:1].isupper() else word


def did_you_mean(parsed: ParsedQuery, alts: Corrections,
                 source: Mapping[str, Any]) -> str | None:
    """The query as typed, each syllable the best relaxed hit lacks replaced by the candidate it
    holds; None when nothing would change."""
    spellings = _spellings(source)
    held = {i: found for i, variants in enumerate(alts.wide)
            if len(variants) > 1 and (found := _held(variants, spellings))}
    if not held:
        return None
    values = _folded_values(source)
    pairs = _pairs_of(values)
    fixes = {i: spellings[_beside(parsed, i, found, pairs)] for i, found in held.items()}
    text = normalize_text(parsed.raw)  # the query as typed, its case kept
    out, pos, j = [], 0, 0
    for match in _TOKEN_RE.finditer(text):
        if j < len(parsed.syllables) and match.group().lower() == parsed.syllables[j]:
            if j in fixes:
                out += [text[pos:match.start()], _cased_like(match.group(), fixes[j])]
                pos = match.end()
            j += 1
    out.append(text[pos:])
    fixed = " ".join("".join(out).split())
    # Offered only when the record holds the corrected query side by side: a correction that
    # merely made the words scattered over its text again corrects nothing.
    return fixed if _holds_as_typed(parse_query(fixed), values, pairs) else None
