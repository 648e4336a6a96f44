"""The server helpers: an unreachable server skips locally and fails under CI=true."""

from __future__ import annotations

import pytest

from . import dbservers


@pytest.fixture
def unreachable(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pretend the PostgreSQL server is down."""
    monkeypatch.setitem(dbservers._problems, "postgresql", "postgresql server not reachable")


@pytest.mark.usefixtures("unreachable")
def test_unreachable_server_skips_outside_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("CI", raising=False)
    with pytest.raises(pytest.skip.Exception, match="not reachable"):
        dbservers.require_server("postgresql")


@pytest.mark.usefixtures("unreachable")
def test_unreachable_server_fails_under_ci(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CI", "true")
    with pytest.raises(pytest.fail.Exception, match="CI=true"):
        dbservers.require_server("postgresql")


def test_sqlite_needs_no_server() -> None:
    assert dbservers.server_problem("sqlite") is None
