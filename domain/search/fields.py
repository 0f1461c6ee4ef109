"""The analysed part of a results document: what each `search.*` field, `codes` and
`result_number_key` hold (mapping: mappings/results-v1.json;
field names and role prefixes: domain.search.schema).

All free text goes into one field, twice: accented (normalised: NFC, one tone placement, Đ
repaired, case kept so highlights read like the document) and folded (no marks, for queries
typed without them). Elasticsearch only lower-cases and splits on the standard tokenizer;
the shingle sub-fields give phrase/proximity evidence as plain term lookups.

| field                 | holds                                                            |
|-----------------------|------------------------------------------------------------------|
| text, text_folded     | array: full text (OCR, may be noisy), document type, procedure,  |
|                       | holder, agency, summary, holder address, other parties' names    |
| words                 | underthesea words of the metadata strings (`giấy_phép`)          |
| keys, keys_folded     | whole names by role (keyword): `n:` holder, `p:` other parties,  |
|                       | `t:` type, `a:` agency name tails, `e:` capitalised runs of text |
| codes (keyword)       | code_key/loose_key of result number, ID numbers, dates, and of   |
|                       | codes read in the text (OCR: recall only)                        |
| result_number_key     | code_key of the manifest's result number                         |
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from domain.search.schema import (
    AGENCY,
    ENTITY,
    HOLDER,
    PARTY,
    TYPE,
    folded_values,
    parties,
    search_text_values,
)
from domain.text.codes import Code, code_key, code_terms, find_codes, parse_date
from domain.text.vietnamese import capitalized_runs, fold_spelling, segment_words, syllables

_ID_FIELDS = ("holder_id_number",)
_DATE_FIELDS = ("issued_on", "holder_birth_date")


def _str(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _pair(name: str, values: list[str]) -> dict[str, list[str]]:
    # Separate array values, not one joined string: ES leaves a position gap between values, so
    # shingles and phrases never bridge two unrelated strings.
    accented = [v for v in values if v]
    return {name: accented, f"{name}_folded": folded_values(accented)}


def _metadata_codes(record: Mapping[str, Any]) -> list[str]:
    terms: list[str] = []
    number = _str(record.get("result_number"))
    if number:
        terms += code_terms(Code("result_number", number, code_key(number)))
    ids = [_str(record.get(f)) for f in _ID_FIELDS]
    ids += [_str(p.get("id_number")) for p in parties(record)]
    terms += [code_key(i) for i in ids if i]
    dates = [_str(record.get(f)) for f in _DATE_FIELDS]
    dates += [_str(p.get("birth_date")) for p in parties(record)]
    terms += [d.isoformat() for d in map(parse_date, filter(None, dates)) if d]
    return terms


def name_key(value: str) -> str:
    """A name as its role keys spell it: normalised lower-case syllables, one space apart."""
    return " ".join(syllables(value))


def agency_name_tails(agency_name: str) -> list[str]:
    """The agency's name and each tail of it from two syllables (`quận cầu giấy`, `cầu giấy`):
    officers name an agency by its place, without the `UBND phường` in front."""
    agency = syllables(agency_name)
    return [" ".join(agency[i:]) for i in range(max(0, len(agency) - 1))]


def _entity_keys(record: Mapping[str, Any], texts: list[str]) -> list[str]:
    """Whole names a query may contain verbatim, tagged by role: the holder (`n:`), other
    parties (`p:`), the document type (`t:`), the agency and each tail of its name from two
    syllables (`a:quận cầu giấy`, `a:cầu giấy`), and proper names in `texts` (`e:`)."""
    keys = [f"{HOLDER}:{name_key(_str(record.get('holder_name')))}"]
    keys += [f"{PARTY}:{name_key(_str(p.get('name')))}" for p in parties(record)]
    keys.append(f"{TYPE}:{name_key(_str(record.get('document_type')))}")
    keys += [f"{AGENCY}:{tail}" for tail in agency_name_tails(_str(record.get("agency_name")))]
    keys += [f"{ENTITY}:{run}" for value in texts for run in capitalized_runs(value)]
    return _unique(k for k in keys if not k.endswith(":"))


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(v for v in values if v))


def build_search_fields(record: Mapping[str, Any], text: str) -> dict[str, Any]:
    """Analysed fields for one record: `{"search": {...}, "codes": [...], "result_number_key"}`.

    `record` is a manifest record (all fields optional but result_id); `text` the extracted
    full text. The manifest's codes come first; codes read from the text only add recall.
    """
    text, *values = search_text_values(record, text)
    # One field for all free text: each syllable's postings are read once per query, not once
    # per field; which field a name came from is what the role keys below are for.
    search: dict[str, Any] = _pair("text", [text, *values])
    # Segmentation is the slow step (~30k syllables/s): run it on the short, clean metadata
    # strings only; the full text gets phrase evidence from the shingle sub-fields instead.
    search["words"] = [" ".join(segment_words(v)) for v in values]
    search["keys"] = _entity_keys(record, [text, *values])
    search["keys_folded"] = _unique(fold_spelling(k) for k in search["keys"])
    number = _str(record.get("result_number"))
    return {
        "search": search,
        "codes": _unique(
            _metadata_codes(record) + [t for c in find_codes(text) for t in code_terms(c)]
        ),
        "result_number_key": code_key(number) if number else None,
    }
