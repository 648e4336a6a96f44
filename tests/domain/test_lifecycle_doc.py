"""docs/architecture.md prints the conference lifecycle table as the code has it."""

from __future__ import annotations

import runpy
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_documented_lifecycle_table_is_the_code_s() -> None:
    table = runpy.run_path(str(ROOT / "scripts" / "lifecycle_table.py"))["table"]()
    doc = (ROOT / "docs" / "architecture.md").read_text(encoding="utf-8")
    begin, end = "<!-- lifecycle table: begin -->\n", "<!-- lifecycle table: end -->"
    documented = doc[doc.index(begin) + len(begin) : doc.index(end)]
    assert documented == table
    assert table.count("\n") > 40  # every allowed pair, one row each
