"""An upper bound on how many records a search's gate can match, before it runs (pure).

Whether the facets may be counted exactly depends on how many records match (they are sampled
above es_query.SAMPLE_ABOVE). Known only after the count, that meant one more round trip and
one more pass over the matches. With a bound at or under the threshold, the facets are counted
in the same request as the total instead.

The gate wants `m` of a query's `n` free-text syllables (es_query.strict_msm, relaxed_msm), so a
match holds at least one of any `n - m + 1` of them: the sum of the `n - m + 1` smallest
document counts bounds the matches. Counts come from term_stats (each syllable as typed) and
from the suggester (each correction). None when there is no such bound: codes (their matches
are not counted beforehand), no free text, a gate made of common syllables only, or a syllable
whose count is unknown. A count too low (the term statistics of one shard, on a cluster of
several) costs time, never a wrong figure: the facets are then counted exactly over more.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from domain.search.es_query import Corrections, relaxed_msm, strict_msm
from domain.search.query import ParsedQuery


def _least(counts: Sequence[int], need: int) -> int:
    """Records holding at least `need` of syllables with these document counts, at most."""
    return sum(sorted(counts)[: len(counts) - need + 1])


def strict_bound(parsed: ParsedQuery, docs: Mapping[str, int]) -> int | None:
    """At most how many records the strict gate matches (`docs`: folded syllable -> records).
    Its common syllables (parsed.common) are taken as present, so only the others count."""
    if parsed.codes or not parsed.rest:
        return None
    words = [parsed.folded[i] for i in parsed.rest]
    rare = [w for w in words if w not in parsed.common]
    if not rare or any(w not in docs for w in rare):
        return None
    need = max(1, strict_msm(len(words)) - (len(words) - len(rare)))
    return _least([docs[w] for w in rare], need)


def relaxed_bound(parsed: ParsedQuery, alts: Corrections, docs: Mapping[str, int],
                  strict_total: int) -> int | None:
    """At most how many records the relaxed gate matches: the strict matches (counted:
    `strict_total`) and those holding all but one syllable in some close spelling."""
    if parsed.codes or not parsed.rest:
        return None
    positions = [alts.close[i] for i in parsed.rest]
    if any(w not in docs for spellings in positions for w in spellings):
        return None
    counts = [sum(docs[w] for w in spellings) for spellings in positions]
    return strict_total + _least(counts, relaxed_msm(len(counts)))
