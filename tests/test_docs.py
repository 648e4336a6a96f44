"""The worked examples in docs/ run as written."""

from __future__ import annotations

import re
from pathlib import Path

DOCS = Path(__file__).parent.parent / "docs"


def _python_blocks(name: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", (DOCS / name).read_text(), re.S)


def test_testing_md_sandbox_example_runs() -> None:
    example = _python_blocks("testing.md")[0]
    namespace: dict[str, object] = {}
    exec(compile(example, "docs/testing.md", "exec"), namespace)  # our own docs
    sandbox = namespace["sb"]
    assert sandbox.outbox[0]["To"] == "bob@example.com"  # type: ignore[attr-defined]
