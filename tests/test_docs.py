"""Every Python block in README.md and docs/*.md runs as written.

A page's blocks run in order in one namespace (a page builds up like a session), in a
temporary directory. Two markers in the Markdown source, invisible when rendered:

- ``<!-- fragment: why -->`` right before a block: the block only shows a shape (it needs
  your Alembic ``env.py``, say); it is compiled, not run.
- ``<!-- setup: why`` (one line), then code lines, then ``-->``: code run at that point of
  the page and not shown (e.g. to swap the production wiring for the emulator before the
  examples that follow).

Blocks that define ``test_*`` functions (pytest examples) have them called with the
``meetlink`` pytest plugin's fixtures, made from one Sandbox.
"""

from __future__ import annotations

import ast
import inspect
import re
import textwrap
from pathlib import Path
from typing import Any

import attrs
import pytest

from meetlink import MeetLink
from meetlink.testing import Sandbox

ROOT = Path(__file__).parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
_PIECE = re.compile(
    r"(?P<fragment><!-- fragment:[^>]*-->[ \t]*\n)?[ \t]*```python\n(?P<code>.*?)```"
    r"|<!-- setup[^\n]*\n(?P<setup>.*?)-->",
    re.S,
)


@attrs.frozen
class Piece:
    """One runnable piece of a page."""

    code: str
    line: int
    kind: str  # "block", "fragment" or "setup"


def pieces(page: Path) -> list[Piece]:
    """The page's Python blocks and setup comments, in order."""
    text = page.read_text()
    found = []
    for match in _PIECE.finditer(text):
        line = text.count("\n", 0, match.start()) + 1
        if match["setup"] is not None:
            found.append(Piece(match["setup"], line, "setup"))
        else:
            kind = "fragment" if match["fragment"] else "block"
            found.append(Piece(textwrap.dedent(match["code"]), line, kind))  # list items
    return found


def _call_tests(namespace: dict[str, Any]) -> int:
    """Call the ``test_*`` functions a block defined, with the plugin's fixtures."""
    called = 0
    for name, function in list(namespace.items()):
        if not (name.startswith("test_") and inspect.isfunction(function)):
            continue
        with Sandbox() as sandbox:
            fixtures = {
                "meetlink_sandbox": sandbox,
                "zoom_emulator": sandbox.zoom,
                "meetlink_clock": sandbox.clock,
            }
            wanted = inspect.signature(function).parameters
            function(**{p: fixtures[p] for p in wanted})
        called += 1
        del namespace[name]
    return called


def _close_all(namespace: dict[str, Any]) -> None:
    for value in namespace.values():
        if isinstance(value, MeetLink | Sandbox):
            value.close()


@pytest.mark.parametrize("page", PAGES, ids=[p.name for p in PAGES])
def test_every_python_block_runs(
    page: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": f"docs_{page.stem}"}
    try:
        for piece in pieces(page):
            compiled = compile(piece.code, f"{page.name}:{piece.line}", "exec")
            if piece.kind == "fragment":
                continue
            exec(compiled, namespace)  # our own documentation
            _call_tests(namespace)
    finally:
        _close_all(namespace)


def test_every_python_block_is_seen_and_fragments_are_few() -> None:
    for page in PAGES:  # a fence the runner would not recognise would go untested
        assert not re.search(r"```(py|python3|pycon|Python)\b", page.read_text()), page.name
    kinds = [piece.kind for page in PAGES for piece in pieces(page)]
    assert kinds.count("block") >= 15 and kinds.count("fragment") <= 3
    assert [p.kind for p in pieces(ROOT / "docs" / "operations.md")] == ["block", "fragment"]


def _positional_constructions(code: str) -> list[int]:
    """Lines of ``code`` that build an Event or a Participant with positional arguments."""
    found = []
    for node in ast.walk(ast.parse(code)):
        if not isinstance(node, ast.Call) or not node.args:
            continue
        name = node.func.attr if isinstance(node.func, ast.Attribute) else None
        name = node.func.id if isinstance(node.func, ast.Name) else name
        if name in ("Event", "Participant"):
            found.append(node.lineno)
    return found


def test_every_example_builds_events_and_participants_by_keyword() -> None:
    """Six strings and datetimes in a row are easy to swap: docs and examples name them
    (the positional order stays part of the contract, for hosts that use it)."""
    places = []
    for page in PAGES:
        for piece in pieces(page):
            places += [f"{page.name}:{piece.line + n}" for n in _positional_constructions(
                piece.code)]  # fmt: skip
    for example in sorted((ROOT / "examples").glob("*.py")):
        places += [f"{example.name}:{n}" for n in _positional_constructions(example.read_text())]
    assert not places, f"Event/Participant built positionally at {places}"
