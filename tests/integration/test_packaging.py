"""The built package carries what an installed sohoa needs: the mappings (no SOHOA_MAPPINGS_DIR),
the templates and static files, and every package of the layout."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

from tests.support.paths import REPO


def test_the_wheel_ships_mappings_templates_and_every_package(tmp_path: Path) -> None:
    subprocess.run([sys.executable, "-m", "pip", "wheel", str(REPO), "--no-deps", "-q",
                    "-w", str(tmp_path)], check=True, capture_output=True, timeout=300)
    wheel = next(tmp_path.glob("sohoa-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    for mapping in (REPO / "mappings").glob("*.json"):
        assert f"mappings/{mapping.name}" in names
    for package in ("app", "domain", "domain/search", "domain/text", "indexer",
                    "indexer/extract"):
        assert f"{package}/__init__.py" in names
    assert "app/templates/base.html" in names
    assert any(name.startswith("app/static/") for name in names)

    # Installed without the source tree, the settings find the bundled mappings.
    target = tmp_path / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--target",
                    str(target), str(wheel)], check=True, capture_output=True, timeout=300)
    probe = ("from domain.settings import load_settings; from domain.indices import "
             "latest_mappings; s = load_settings(); print(s.mappings_dir); "
             "print(sorted(latest_mappings(s.mappings_dir)))")
    done = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True,
                          text=True, env={"PYTHONPATH": str(target), "PATH": "/usr/bin:/bin"},
                          timeout=60, check=True)
    folder, found = done.stdout.splitlines()
    assert Path(folder).resolve() == (target / "mappings").resolve()
    assert found == str(sorted(p.stem.rsplit("-v", 1)[0]
                               for p in (REPO / "mappings").glob("*-v1.json")))
