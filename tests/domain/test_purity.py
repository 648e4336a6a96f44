"""The domain is pure: stdlib, attrs and pure calculation libraries only (python-dateutil's
RRULE expansion, icalendar's RRULE parsing: no I/O, no clock, no global state;
docs/architecture.md), and `import meetlink` stays light (STYLE 1, 7)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import meetlink.domain

DOMAIN_DIR = Path(meetlink.domain.__file__).parent
DOMAIN_FILES = sorted(DOMAIN_DIR.rglob("*.py"))
ALLOWED_THIRD_PARTY = {"attrs", "dateutil", "icalendar"}
ALLOWED_MEETLINK = ("meetlink.domain", "meetlink.errors")
HEAVY = ("httpx", "sqlalchemy", "jinja2")


def module_name(path: Path) -> str:
    """The dotted name of a domain file (``__init__`` kept, so relative imports resolve)."""
    return ".".join(["meetlink", *path.relative_to(DOMAIN_DIR.parent).with_suffix("").parts])


def imported_modules(source: str, module: str) -> list[str]:
    """Absolute names of every module ``source`` (the text of ``module``) imports."""
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")[: -node.level]
                names.append(".".join([*base, node.module] if node.module else base))
            else:
                assert node.module is not None
                names.append(node.module)
    return names


def test_the_domain_has_files_to_check() -> None:
    names = {p.name for p in DOMAIN_FILES}
    assert {"event.py", "issuance.py", "links.py", "subscription.py", "retry.py"} <= names


def test_import_resolution_of_the_checker_itself() -> None:
    # Guard the helper: a resolver that got relative imports wrong would let anything through.
    source = (
        "import os.path, attrs\n"
        "from . import records\n"
        "from .event import Event\n"
        "from ..errors import InvalidEvent\n"
        "from ..adapters.zoom import ZoomProvider\n"
        "def f():\n    import httpx\n"
    )
    assert imported_modules(source, "meetlink.domain.links") == [
        "os.path",
        "attrs",
        "meetlink.domain",
        "meetlink.domain.event",
        "meetlink.errors",
        "meetlink.adapters.zoom",
        "httpx",
    ]
    assert module_name(DOMAIN_DIR / "__init__.py") == "meetlink.domain.__init__"
    assert module_name(DOMAIN_DIR / "event.py") == "meetlink.domain.event"


@pytest.mark.parametrize("path", DOMAIN_FILES, ids=lambda p: p.name)
def test_domain_imports_only_stdlib_attrs_and_meetlink_domain(path: Path) -> None:
    for name in imported_modules(path.read_text(encoding="utf-8"), module_name(path)):
        top = name.split(".")[0]
        if top == "meetlink":
            assert any(name == a or name.startswith(a + ".") for a in ALLOWED_MEETLINK), (
                f"{path.name} imports {name}: only meetlink.domain and meetlink.errors allowed"
            )
        else:
            assert top in sys.stdlib_module_names or top in ALLOWED_THIRD_PARTY, (
                f"{path.name} imports {name}, neither stdlib nor attrs"
            )


def _loaded_after(statement: str) -> set[str]:
    code = f"{statement}\nimport sys\nprint(','.join(m for m in {HEAVY!r} if m in sys.modules))\n"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr
    return {m for m in result.stdout.strip().split(",") if m}


def test_import_meetlink_does_not_load_heavy_dependencies() -> None:
    assert _loaded_after("import meetlink") == set()


def test_importing_every_domain_module_does_not_load_heavy_dependencies() -> None:
    modules = sorted("meetlink.domain." + p.stem for p in DOMAIN_FILES if p.name != "__init__.py")
    assert _loaded_after("\n".join(f"import {m}" for m in modules)) == set()


def test_the_subprocess_check_can_see_a_loaded_module() -> None:
    # Guard the probe: if it could never report anything, the tests above would prove nothing.
    assert _loaded_after("import json as httpx; import sys; sys.modules['httpx'] = httpx") == {
        "httpx"
    }
