"""Bounds on how many records a search's gate can match, before it runs (pure).

Whether the facets may be counted exactly depends on how many records match (they are sampled
above es_query.SAMPLE_ABOVE). Known only after the count, that meant one more round trip and
one more pass over the matches. With a bound at or under the threshold, the facets are counted
in the same request as the total instead; with a floor above it, over a sample that is sure to
stand.

The gate wants `m` of a query's `n` free-text syllables (es_query.strict_msm, relaxed_msm), so a
match holds at least one of any `n - m + 1` of them: the sum of the `n - m + 1` smallest
document counts bounds the matches. Each known phrase is required too: a match holds its role
key or most of its pairs (es_query.phrase_pairs), which bounds the matches the same way. The
tightest of these bounds holds. The floor: a record holding one syllable or adjacent pair that
alone satisfies the gate matches. Counts come from term_stats (each syllable, pair and role key
as typed) and from the suggester (each correction). No bound (None) with codes (their matches
are not counted beforehand), nothing but common syllables, or a count unknown. A count off
(the term statistics of one shard, on a cluster of several; withdrawn records, which term
counts include) costs time, never a wrong figure: a sample over too few matches is replaced
by an exact count, and exact counts are exact however many they count.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from domain.search.es_query import (
    Corrections,
    phrase_pairs,
    relaxed_msm,
    strict_msm,
    strict_need,
)
from domain.search.query import ParsedQuery, Segment
from domain.search.term_stats import TermStats


def _least(counts: Sequence[int], need: int) -> int:
    """Records holding at least `need` of terms with these document counts, at most."""
    return sum(sorted(counts)[: len(counts) - need + 1])


def _lowest(*bounds: int | None) -> int | None:
    known = [b for b in bounds if b is not None]
    return min(known) if known else None


def _phrase_bound(segment: Segment, stats: TermStats) -> int | None:
    """At most how many records hold a known phrase: its role key, or most of its pairs in
    the text (its one syllable, for a phrase of one)."""
    if segment.key not in stats.keys:
        return None
    pairs = phrase_pairs(segment.phrase)
    terms, counts = (pairs, stats.pairs) if pairs else ([segment.phrase], stats.syllables)
    if any(t not in counts for t in terms):
        return None
    return stats.keys[segment.key] + _least([counts[t] for t in terms], strict_msm(len(terms)))


def _phrases_bound(parsed: ParsedQuery, stats: TermStats) -> int | None:
    return _lowest(*(_phrase_bound(s, stats) for s in parsed.segments))


def _rest_bound(parsed: ParsedQuery, docs: Mapping[str, int]) -> int | None:
    words = [parsed.folded[i] for i in parsed.rest]
    rare = [w for w in words if w not in parsed.common]
    if not rare or any(w not in docs for w in rare):
        return None
    need = strict_need(len(words), len(words) - len(rare))
    return _least([docs[w] for w in rare], need)


def strict_bound(parsed: ParsedQuery, stats: TermStats) -> int | None:
    """At most how many records the strict gate matches. Its common syllables (parsed.common)
    are taken as present, so only the others count."""
    if parsed.codes:
        return None
    return _lowest(_rest_bound(parsed, stats.syllables), _phrases_bound(parsed, stats))


def strict_floor(parsed: ParsedQuery, stats: TermStats) -> int:
    """At least how many records the strict gate matches, before any filter: those holding one
    of the query's syllables or adjacent pairs that alone satisfies it (enough of its uncommon
    syllables). 0 when none does, or with codes or known phrases (not counted this way). The
    relaxed gate admits every strict match, so this floors its matches too."""
    if parsed.codes or parsed.segments or not parsed.rest:
        return 0
    rest = set(parsed.rest)
    words = [parsed.folded[i] for i in parsed.rest]
    rare = [w for w in words if w not in parsed.common]
    need = strict_need(len(words), len(words) - len(rare))  # 1 when every one is common
    counts = [stats.syllables.get(w, 0) for w in (rare or words) if need <= 1]
    for i in parsed.rest:
        if i + 1 in rest:
            pair = parsed.folded[i : i + 2]
            if sum(w not in parsed.common for w in pair) >= need:
                counts.append(stats.pairs.get(" ".join(pair), 0))
    return max(counts, default=0)


def relaxed_bound(parsed: ParsedQuery, alts: Corrections, stats: TermStats,
                  docs: Mapping[str, int], strict_matches: int | None) -> int | None:
    """At most how many records the relaxed gate matches: the strict matches (`strict_matches`:
    counted, or at most that many; None: unknown) and those holding all but one syllable in
    some close spelling (`docs`: records per syllable typed or offered), among those holding
    the known phrases."""
    if parsed.codes:
        return None
    positions = [alts.close[i] for i in parsed.rest]
    loose = None
    if strict_matches is not None and positions \
            and all(w in docs for spellings in positions for w in spellings):
        counts = [sum(docs[w] for w in spellings) for spellings in positions]
        loose = strict_matches + _least(counts, relaxed_msm(len(counts)))
    return _lowest(loose, _phrases_bound(parsed, stats))
