"""Print the conference lifecycle (meetlink.domain.lifecycle.TRANSITIONS) as a Markdown table:
every stage x happening pair the table allows, the stage after it and the effects it owes.
Any pair not listed raises IllegalMove. docs/architecture.md holds this output (a test keeps
them equal): ``.venv/bin/python scripts/lifecycle_table.py``."""

from __future__ import annotations

from typing import get_args

from meetlink.domain import lifecycle as lc

HAPPENINGS = get_args(lc.Happening)


def table() -> str:
    """The Markdown table, one row per allowed (stage, happening) pair."""
    lines = [
        "| from | happening | to | effects |",
        "|---|---|---|---|",
    ]
    for stage in lc.Stage:
        for happening in HAPPENINGS:
            row = lc.TRANSITIONS.get((stage, happening))
            if row is None:
                continue
            target, effects = row
            done = ", ".join(effect.value for effect in effects) or "-"
            lines.append(f"| {stage.name} | {happening.__name__} | {target.name} | {done} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(table(), end="")
