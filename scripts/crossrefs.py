#!/usr/bin/env python3
"""Turn Sphinx roles in meetlink's docstrings (:class:`~a.b.C`, :meth:`x`, :mod:`.m`...) into
the Markdown cross-references the API reference reads (``[`C`][a.b.C]``), then build the
reference and turn every reference it cannot resolve (a private module, a constant it does
not render) into a code literal, and re-wrap lines the change made longer than 100.

    .venv/bin/python scripts/crossrefs.py

For a rebase that brought back old docstrings: take them as they are, run this, then
``bash scripts/test`` (tests/test_reference.py fails while a Sphinx role is left).
"""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import pathlib
import re
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
SRC = ROOT / "src" / "meetlink"
ROLE = re.compile(r":(class|meth|func|mod|data|attr|exc|obj):`(~?)([^`]+)`")
REF = re.compile(r"\[`([^`]+)`\]\[([\w.]+)\]")
LIMIT = 100

SKIP: set[str] = set()


def module_name(path):
    parts = list(path.with_suffix("").parts)
    parts = parts[parts.index("meetlink") :]
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts), path.name == "__init__.py"


def canonical(obj, fallback):
    mod = getattr(obj, "__module__", None)
    qual = getattr(obj, "__qualname__", None)
    if inspect.ismodule(obj):
        return obj.__name__
    if mod and qual and "<" not in qual:
        return f"{mod}.{qual}"
    return fallback


def resolve(target, modname, is_pkg, classes):
    """The full path of ``target`` seen from module ``modname`` inside ``classes``."""
    if target.startswith("."):
        base = modname.split(".") if is_pkg else modname.split(".")[:-1]
        dots = len(target) - len(target.lstrip("."))
        base = base[: len(base) - (dots - 1)] if dots > 1 else base
        target = ".".join([*base, target.lstrip(".")])
    first = target.split(".")[0]
    try:
        module = importlib.import_module(modname)
    except Exception:
        module = None
    if first == "meetlink":
        # an absolute path: find the longest importable module, then attributes
        parts = target.split(".")
        for i in range(len(parts), 0, -1):
            try:
                obj = importlib.import_module(".".join(parts[:i]))
            except Exception:
                continue
            try:
                for name in parts[i:]:
                    obj = getattr(obj, name)
            except AttributeError:
                rest = parts[i:]
                # an attrs field or annotation: keep the path if its owner resolves
                return target if len(rest) == 1 and hasattr(obj, "__attrs_attrs__") else None
            return canonical(obj, target) if not inspect.ismodule(obj) else obj.__name__
        return None
    scopes = []
    if module is not None:
        for cls in classes:
            owner = getattr(module, cls, None)
            if owner is not None:
                scopes.append(owner)
        scopes.append(module)
    for scope in scopes:
        obj = scope
        try:
            for name in target.split("."):
                obj = getattr(obj, name)
        except AttributeError:
            continue
        path = canonical(obj, None)
        if (
            path is None
            or isinstance(obj, (property,))
            or (not callable(obj) and not inspect.isclass(obj) and not inspect.ismodule(obj))
        ):
            # a property, constant or attribute: the owner's path plus the name
            owner = scope if scope is not module else module
            prefix = canonical(owner, modname) if owner is not module else modname
            return f"{prefix}.{target}"
        return path
    return None


def convert(path):
    modname, is_pkg = module_name(path)
    text = path.read_text()
    tree = ast.parse(text)
    # which class encloses each line
    spans = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ClassDef):
            spans.append((node.lineno, node.end_lineno, node.name))
    lines = text.split("\n")
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)

    def line_of(offset):
        lo, hi = 0, len(starts) - 1
        while lo < hi:
            mid = (lo + hi) // 2
            if starts[mid + 1] <= offset:
                lo = mid + 1
            else:
                hi = mid
        return lo + 1

    def repl(match):
        _role, tilde, target = match.groups()
        line = line_of(match.start())
        classes = [name for a, b, name in sorted(spans) if a <= line <= b]
        classes = classes[::-1]
        shown = target.split(".")[-1] if tilde else target.lstrip(".")
        full = resolve(target, modname, is_pkg, classes)
        if full is None or full in SKIP or target in SKIP:
            return f"``{shown}``"
        return f"[`{shown}`][{full}]"

    new = ROLE.sub(repl, text)
    if new != text:
        path.write_text(new)
        return True
    return False


def unresolved() -> set[str]:
    """The cross-reference targets the reference build cannot resolve."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    built = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", "/tmp/meetlink-site"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    return set(re.findall(r"Could not find cross-reference target '([^']+)'", built.stderr))


def downgrade(targets: set[str]) -> None:
    """References to ``targets`` become code literals."""
    for path in SRC.rglob("*.py"):
        text = path.read_text()
        new = REF.sub(lambda m: f"``{m[1]}``" if m[2] in targets else m[0], text)
        if new != text:
            path.write_text(new)


def prefix_of(line):
    m = re.match(r"(\s*)(#: |#  |# )?(- )?", line)
    indent, comment, bullet = m.group(1), m.group(2) or "", m.group(3) or ""
    return indent, comment, bullet


def is_continuation(line, indent, comment, bullet):
    if not line.strip() or line.strip() == '"""':
        return False
    i2, c2, b2 = prefix_of(line)
    if c2 != comment:
        return False
    if b2:  # a new list item
        return False
    want = indent + ("  " if bullet else "")
    return i2 == want and not line.strip().startswith(("::", ">>>", "|", "=", "+"))


def rewrap() -> None:
    """Lines over the limit (ruff E501) get their overflow moved to the next line."""
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "ruff",
            "check",
            "src",
            "--select",
            "E501",
            "--output-format",
            "concise",
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    ).stdout
    targets: dict[str, set[int]] = {}
    for line in out.splitlines():
        m = re.match(r"(.+?):(\d+):\d+: E501", line)
        if m:
            targets.setdefault(str(ROOT / m.group(1)), set()).add(int(m.group(2)))
    for path in targets:
        p = pathlib.Path(path)
        lines = p.read_text().split("\n")
        changed = True
        guard = 0
        while changed and guard < 2000:
            changed = False
            guard += 1
            for i, line in enumerate(lines):
                if len(line) <= LIMIT or "http://" in line or "https://" in line:
                    continue
                indent, comment, bullet = prefix_of(line)
                head = indent + comment + bullet
                words = line[len(head) :].split(" ")
                keep, moved = [], []
                for w in words:
                    if len(head + " ".join([*keep, w])) <= LIMIT and not moved:
                        keep.append(w)
                    else:
                        moved.append(w)
                if not keep or not moved:
                    continue
                lines[i] = head + " ".join(keep)
                cont_indent = indent + ("  " if bullet else "")
                nxt = lines[i + 1] if i + 1 < len(lines) else ""
                ends_docstring = moved[-1].rstrip().endswith('"""')
                if is_continuation(nxt, indent, comment, bullet) and not ends_docstring:
                    _ni, _nc, _ = prefix_of(nxt)
                    lines[i + 1] = (
                        cont_indent
                        + comment
                        + " ".join(moved)
                        + " "
                        + nxt[len(cont_indent + comment) :]
                    )
                else:
                    lines.insert(i + 1, cont_indent + comment + " ".join(moved))
                changed = True
                break
        p.write_text("\n".join(lines))


def main() -> None:
    sys.path.insert(0, str(ROOT / "src"))
    changed = [p for p in SRC.rglob("*.py") if convert(p)]
    print(f"{len(changed)} files converted")
    missing = unresolved()
    downgrade(missing)
    print(f"{len(missing)} unresolved targets made code literals")
    rewrap()


if __name__ == "__main__":
    main()
