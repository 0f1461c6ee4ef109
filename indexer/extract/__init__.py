"""Extraction: any supported file (scan, PDF, text) to per-page Unicode text, or a coded error.

Modules, one job each: media (sniffing, limits), images (decoding incl. multi-page TIFF),
preprocess (clean-up before OCR), ocr (Tesseract calls), scan (one page image to text),
pdf (text layer or render+OCR), legacy_encodings (TCVN3/VNI), textcheck, textfile, core.
"""

from indexer.extract.core import extract_file
from indexer.extract.media import sniff_media_type
from indexer.extract.model import ExtractionError, PageText

__all__ = ["ExtractionError", "PageText", "extract_file", "sniff_media_type"]
