"""Serialise numbered PDF objects into a complete file (header, cross-reference table, trailer):
the one writer behind the generated legacy-PDF set and the PDFs the tests make."""

from __future__ import annotations


def assemble_pdf(objects: list[bytes]) -> bytes:
    """Object N of the file is `objects[N - 1]`; object 1 must be the catalog."""
    out, offsets = bytearray(b"%PDF-1.4\n"), []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)
