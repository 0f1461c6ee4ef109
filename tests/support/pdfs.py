"""Tiny hand-built PDFs for tests (a text layer, any page size), no PDF library needed."""

from __future__ import annotations

from pathlib import Path

from indexer.evaluation.minimal_pdf import assemble_pdf


def text_pdf(path: Path, width: float, height: float, text: str = "Trang thu") -> Path:
    """One page of `width` x `height` points carrying `text` in Helvetica."""
    stream = f"BT /F1 24 Tf 40 {height - 60:.0f} Td ({text}) Tj ET".encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        (f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 {width:g} {height:g}] "
         "/Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>").encode(),
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    path.write_bytes(assemble_pdf(objects))
    return path
