"""The contract between index time and query time, in one place: the analysed fields' names,
the role prefixes of the name keys, which fields a reader never sees, which fields a hit leaves
out, and the accented strings a folded highlight is cut back out of.

domain.search.fields fills these fields; query, es_query, service and suggest read them;
app.results hides them. Mapping: mappings/results-v*.json (`search.*`, `codes`,
`result_number_key`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from domain.text.vietnamese import fold_spelling, normalize_text

# --- field names ----------------------------------------------------------------------------
TEXT = "search.text"  # accented free text (array: full text, then metadata strings)
TEXT_FOLDED = "search.text_folded"  # the same, fold_spelling'd
TEXT_SHINGLES = "search.text.shingles"  # adjacent pairs of TEXT
TEXT_FOLDED_SHINGLES = "search.text_folded.shingles"
WORDS = "search.words"  # underthesea words of the metadata strings (`giấy_phép`)
KEYS = "search.keys"  # whole names by role, keyword: `n:nguyễn văn an`
KEYS_FOLDED = "search.keys_folded"
CODES = "codes"  # code keys of numbers, ID numbers, dates (metadata and text)
RESULT_NUMBER_KEY = "result_number_key"  # code key of the manifest's own result number

# --- role prefixes of KEYS ------------------------------------------------------------------
HOLDER, PARTY, TYPE, AGENCY, ENTITY = "n", "p", "t", "a", "e"
ROLES = (HOLDER, PARTY, TYPE, AGENCY, ENTITY)

# --- what readers and hits see --------------------------------------------------------------
ANALYSED_FIELDS = ("search", "codes", "result_number_key")
# Never shown by the record API (analysed copies and ingest bookkeeping).
HIDDEN_FIELDS = (*ANALYSED_FIELDS, "ingest_version", "file_hashes", "ingest_hashes", "written_by")
# Left out of a search hit's _source: the pages, the raw text and the analysed copies, but for
# TEXT's strings, accented and folded (indexed_values): highlights of folded fields are cut back
# out of them, and relaxing reads what the record holds from them, without normalising the
# whole text again per hit. A hit without highlights asks for none of it.
HIT_EXCLUDES = ("pages", "text", "codes", "result_number_key", WORDS, f"{KEYS}*")
HIT_EXCLUDES_NO_TEXT = ("pages", "text", *ANALYSED_FIELDS)

_VALUE_FIELDS = ("document_type", "procedure_name", "holder_name", "agency_name")
_META_FIELDS = ("summary", "holder_address")  # name people/places, but not holder/title/agency


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def parties(record: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    found = record.get("other_parties")
    if not isinstance(found, list):
        return []
    return [p for p in found if isinstance(p, Mapping)]


def search_text_values(record: Mapping[str, Any], text: str | None) -> list[str]:
    """The accented strings of TEXT, in index order: the full text first, then the metadata.
    TEXT_FOLDED is these, folded character for character, so a folded highlight fragment can
    be cut back out of them with its marks (domain.search.highlights)."""
    return [normalize_text(text or "")] + [normalize_text(v) for v in _metadata_strings(record)]


def _metadata_strings(record: Mapping[str, Any]) -> list[str]:
    """The metadata strings TEXT holds after the full text, in index order (blank ones left
    out), not yet normalised."""
    values = [_str(record.get(f)) for f in (*_VALUE_FIELDS, *_META_FIELDS)]
    values += [_str(p.get("name")) for p in parties(record)]
    return [v for v in values if v]


def folded_values(values: list[str]) -> list[str]:
    """TEXT_FOLDED's strings for TEXT's."""
    return [fold_spelling(v) for v in values]


def indexed_values(source: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """search_text_values of a search hit, and the same folded: read from the TEXT strings the
    hit carries (HIT_EXCLUDES), computed when it carries none. The index leaves out an empty
    text, so one string fewer than the metadata's plus one means the record had no text."""
    search = source.get("search")
    accented = search.get("text") if isinstance(search, Mapping) else None
    folded = search.get("text_folded") if isinstance(search, Mapping) else None
    metadata = len(_metadata_strings(source))
    if not (isinstance(accented, list) and isinstance(folded, list)
            and len(accented) == len(folded) and len(accented) in (metadata, metadata + 1)):
        values = search_text_values(source, source.get("text"))
        return values, folded_values(values)
    if len(accented) == metadata:
        return ["", *accented], ["", *folded]
    return list(accented), list(folded)


def highlight_sources(source: Mapping[str, Any]) -> dict[str, tuple[list[str], list[str]]]:
    """Highlighted field base name -> the accented strings its folded twin was built from, and
    those folded."""
    return {TEXT: indexed_values(source)}
