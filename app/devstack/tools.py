"""Finding the external programs the local stack needs, with install hints when one is missing."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

INSTALL_HINT = (
    "On Debian/Ubuntu: apt-get install -y default-jdk-headless maven redis-server "
    "tesseract-ocr tesseract-ocr-vie poppler-utils"
)


class MissingTool(RuntimeError):
    """A program the stack needs is not installed."""


def require(program: str, purpose: str) -> str:
    path = shutil.which(program)
    if path is None:
        raise MissingTool(f"'{program}' not found ({purpose}). {INSTALL_HINT}")
    return path


def java_home() -> Path:
    """The JDK to run Elasticsearch on: ES_JAVA_HOME, JAVA_HOME, else the `java` on PATH."""
    for var in ("ES_JAVA_HOME", "JAVA_HOME"):
        if (value := os.environ.get(var)) and (Path(value) / "bin" / "java").exists():
            return Path(value)
    java = Path(require("java", "a JDK 17+ runs Elasticsearch")).resolve()
    return java.parent.parent


def check_tesseract() -> None:
    require("tesseract", "OCR of scans")
    langs = subprocess.run(
        ["tesseract", "--list-langs"], capture_output=True, text=True, check=False
    ).stdout.split()
    if "vie" not in langs:
        raise MissingTool(f"Tesseract has no 'vie' language data. {INSTALL_HINT}")
