"""Field extraction from a document's text (intake without a full manifest). Pure: no I/O."""

from indexer.metadata.agency import Register
from indexer.metadata.extract import extract_metadata
from indexer.metadata.model import Extraction, FieldValue

__all__ = ["Extraction", "FieldValue", "Register", "extract_metadata"]
