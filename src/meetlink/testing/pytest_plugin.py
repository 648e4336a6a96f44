"""pytest fixtures for hosts testing their meetlink integration (registered through the
``pytest11`` entry point as ``meetlink``).

Fixtures:
- ``meetlink_sandbox``: a fresh [`Sandbox`][meetlink.testing.sandbox.Sandbox] per test (SQLite in
  memory; set ``--meetlink-database-url`` to run on another database).
- ``zoom_emulator``: the sandbox's [`ZoomEmulator`][meetlink.emulators.zoom.emulator.ZoomEmulator].
- ``meetlink_clock``: the sandbox's [`ManualClock`][meetlink.adapters.clock.ManualClock].
"""

from __future__ import annotations

from collections.abc import Generator, Iterator
from contextlib import ExitStack
from email.message import EmailMessage
from typing import Any

import pytest

_DELIVERED = pytest.StashKey[tuple[ExitStack, list[EmailMessage]]]()


def pytest_addoption(parser: Any) -> None:
    """``--meetlink-database-url``: where the sandbox stores (default: SQLite in memory)."""
    parser.addoption(
        "--meetlink-database-url",
        default="sqlite://",
        help="database URL for the meetlink_sandbox fixture (default: sqlite://)",
    )
    parser.addoption(
        "--meetlink-check-mail",
        action="store_true",
        help="decode every mail a RecordingMailer or DirectoryMailer delivers at teardown",
    )
    parser.addini(
        "meetlink_check_mail",
        type="bool",
        default=False,
        help="decode every mail a RecordingMailer or DirectoryMailer delivers at teardown",
    )


def pytest_configure(config: pytest.Config) -> None:
    """Registers the opt-out marker."""
    config.addinivalue_line(
        "markers", "meetlink_unchecked_mail: do not decode this test's delivered mail"
    )


def _checks_mail(item: pytest.Item) -> bool:
    config = item.config
    wanted = config.getoption("--meetlink-check-mail") or config.getini("meetlink_check_mail")
    return bool(wanted) and item.get_closest_marker("meetlink_unchecked_mail") is None


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> Generator[None, None, None]:
    """Starts recording deliveries for the mail check (before any fixture runs)."""
    if _checks_mail(item):
        from meetlink.testing.mailcheck import recording_deliveries

        stack = ExitStack()
        item.stash[_DELIVERED] = (stack, stack.enter_context(recording_deliveries()))
    return (yield)


@pytest.hookimpl(wrapper=True, trylast=True)
def pytest_runtest_teardown(item: pytest.Item) -> Generator[None, None, None]:
    """After every fixture is torn down: stops recording and checks what was delivered."""
    try:
        result = yield
    finally:
        recorded = item.stash.get(_DELIVERED, None)
        if recorded is not None:
            del item.stash[_DELIVERED]
            recorded[0].close()
    if recorded is not None:
        _check_delivered(recorded[1])
    return result


def _check_delivered(messages: list[EmailMessage]) -> None:
    from meetlink.testing.mailcheck import mail_problems

    report = []
    for number, message in enumerate(messages, 1):
        problems = mail_problems(message)
        if problems:
            report.append(f"mail {number} of {len(messages)} ({message['Message-ID']}):")
            report.extend(f"  {problem}" for problem in problems)
    if report:
        raise AssertionError("delivered mail does not read back as sent:\n" + "\n".join(report))


@pytest.fixture
def meetlink_sandbox(request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fully wired MeetLink on the Zoom emulator, closed after the test."""
    from meetlink.testing import Sandbox

    url = request.config.getoption("--meetlink-database-url")
    with Sandbox(database_url=url) as sandbox:
        yield sandbox


@pytest.fixture
def zoom_emulator(meetlink_sandbox: Any) -> Any:
    """The sandbox's Zoom emulator."""
    return meetlink_sandbox.zoom


@pytest.fixture
def meetlink_clock(meetlink_sandbox: Any) -> Any:
    """The sandbox's manual clock."""
    return meetlink_sandbox.clock
