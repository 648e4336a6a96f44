"""The API reference (mkdocs.yml, docs/reference/): it builds with no warning (``--strict``),
and every name a host imports from ``meetlink`` and ``meetlink.testing`` has an entry."""

from __future__ import annotations

import re
import subprocess
import sys
import zlib
from pathlib import Path

import pytest

import meetlink
import meetlink.testing

ROOT = Path(__file__).parent.parent


def _inventory(site: Path) -> set[str]:
    """The identifiers in the site's ``objects.inv`` (Sphinx inventory v2, as mkdocstrings
    writes it: four header lines, then zlib)."""
    raw = (site / "objects.inv").read_bytes()
    body = zlib.decompress(raw.split(b"\n", 4)[4]).decode("utf-8")
    return {line.split(" ", 1)[0] for line in body.splitlines() if line}


@pytest.fixture(scope="module")
def entries(tmp_path_factory: pytest.TempPathFactory) -> set[str]:
    site = tmp_path_factory.mktemp("site")
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={"NO_MKDOCS_2_WARNING": "1", "PATH": "/usr/bin:/bin"},
        timeout=600,
    )
    assert built.returncode == 0, built.stderr[-4000:]
    assert "WARNING" not in built.stderr, built.stderr[-4000:]
    return _inventory(site)


@pytest.mark.parametrize("module", [meetlink, meetlink.testing], ids=lambda m: m.__name__)
def test_every_public_name_has_a_reference_entry(entries: set[str], module: object) -> None:
    name = module.__name__  # type: ignore[attr-defined]
    names = module.__all__  # type: ignore[attr-defined]
    missing = [n for n in names if f"{name}.{n}" not in entries]
    assert not missing, f"no reference entry for {missing}"


def test_the_reference_documents_members_too(entries: set[str]) -> None:
    for member in ("meetlink.MeetLink.save_event", "meetlink.Event.timezone", "meetlink.errors"):
        assert member in entries


def test_docstrings_use_markdown_cross_references() -> None:
    """The reference prints a Sphinx role as it is: new docstrings link with Markdown
    (``[`Event`][meetlink.Event]``); scripts/crossrefs.py converts old ones."""
    role = re.compile(r":(class|meth|func|mod|data|attr|exc|obj):`")
    left = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "src" / "meetlink").rglob("*.py"))
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if role.search(line)
    ]
    assert not left, f"Sphinx roles left (run scripts/crossrefs.py): {left[:10]}"
