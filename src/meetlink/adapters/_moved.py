"""Deprecated import paths: names that moved out of ``meetlink.adapters`` keep resolving for
a deprecation period, with a ``DeprecationWarning`` naming the new path (the emulators
moved to [`meetlink.emulators`][meetlink.emulators] in 0.2; the old paths go in 0.3)."""

from __future__ import annotations

import warnings
from collections.abc import Callable, Collection
from types import ModuleType
from typing import Any

__all__ = ["TEAMS_MOVED", "ZOOM_MOVED", "moved_names", "teams_emulators", "zoom_emulators"]

#: The emulator names that left ``meetlink.adapters.zoom`` / ``meetlink.adapters.teams``.
ZOOM_MOVED = ("ConsentBlocked", "ConsentError", "EmulatorServer", "ZoomEmulator", "ZoomUser")
TEAMS_MOVED = ("ConsentBlocked", "ConsentError", "EmulatorServer", "TeamsEmulator", "TeamsUser")


def moved_names(
    old: str, names: Collection[str], load: Callable[[], ModuleType]
) -> Callable[[str], Any]:
    """A module ``__getattr__`` for package ``old``: each of ``names`` comes from the module
    ``load()`` returns, with a warning; anything else is an AttributeError."""

    def getattr_(name: str) -> Any:
        if name not in names:
            raise AttributeError(f"module {old!r} has no attribute {name!r}")
        new = load()
        warnings.warn(
            f"{old}.{name} moved to {new.__name__}.{name}; the old path goes away in meetlink 0.3",
            DeprecationWarning,
            stacklevel=2,
        )
        return getattr(new, name)

    return getattr_


# The only imports from adapters up into the emulators, for the deprecation period.


def zoom_emulators() -> ModuleType:
    """[`meetlink.emulators.zoom`][meetlink.emulators.zoom], loaded when an old name is asked
    for."""
    from meetlink.emulators import zoom

    return zoom


def teams_emulators() -> ModuleType:
    """[`meetlink.emulators.teams`][meetlink.emulators.teams], loaded when an old name is asked
    for."""
    from meetlink.emulators import teams

    return teams
