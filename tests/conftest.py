"""Suite-wide settings: Hypothesis without wall-clock deadlines (this machine is shared and
noisy, and no test asserts a timing); its examples (docs/testing.md, "meetlink's own suite"):

- ``CI=true``: derandomized, the same examples every run, so a red build is never a draw it
  never made before;
- ``HYPOTHESIS_SEED=<n>`` (the scheduled run, with or without ``CI``): new examples from that
  seed, which the run's header prints; the same seed draws the same examples again;
- neither (a developer's run): new examples each run; a failure prints the ``@seed(...)``
  that reproduces it, and ``@reproduce_failure`` with its blob."""

from __future__ import annotations

import os
from contextlib import ExitStack
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings

from meetlink.testing.mailcheck import recording_deliveries, wire_bytes
from tests.mail import postal_mime

_SEED = os.environ.get("HYPOTHESIS_SEED", "").strip()
settings.register_profile(
    "meetlink",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    derandomize=os.environ.get("CI") == "true" and not _SEED,
    print_blob=True,
)
settings.load_profile("meetlink")


def pytest_configure(config: pytest.Config) -> None:
    if _SEED and config.getoption("hypothesis_seed", None) is None:
        from hypothesis import core

        # what --hypothesis-seed does (hypothesis declares the attribute as None)
        core.global_force_seed = int(_SEED)  # type: ignore[assignment]
    if _is_worker(config):
        # Coverage's patch=subprocess (pyproject.toml) measured this xdist worker from its
        # start; the processes the tests start (servers, the CLI) are not measured.
        os.environ.pop("COVERAGE_PROCESS_CONFIG", None)


def _is_worker(config: pytest.Config) -> bool:
    """True in a pytest-xdist worker (scripts/test runs the whole suite on several)."""
    return hasattr(config, "workerinput")


def pytest_report_header(config: pytest.Config) -> str:
    forced = config.getoption("hypothesis_seed", None) or _SEED
    if forced:
        return f"hypothesis examples: seed {forced} (HYPOTHESIS_SEED={forced} draws them again)"
    assert settings.default is not None  # the profile loaded above
    if settings.default.derandomize:
        return "hypothesis examples: derandomized (CI=true; HYPOTHESIS_SEED=<n> for new ones)"
    return "hypothesis examples: random; a failure prints the @seed(...) that reproduces it"


# --- every mail the suite delivers, read by an independent parser -------------------------
# The meetlink plugin (meetlink_check_mail in pyproject.toml) decodes each test's delivered
# mail with the standard library's two decoders at teardown. Here every distinct mail of the
# whole run also goes through postal-mime (tests/mail/node) in one Node process at the end;
# a difference fails the run.

_SESSION_MAIL = pytest.StashKey[tuple[ExitStack, list[EmailMessage]]]()


def pytest_sessionstart(session: pytest.Session) -> None:
    stack = ExitStack()
    session.stash[_SESSION_MAIL] = (stack, stack.enter_context(recording_deliveries()))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    """A test marked ``meetlink_unchecked_mail`` sends odd mail on purpose: not read here
    either. Under ``MEETLINK_COVERAGE_TESTS`` the coverage tracer runs for those tests only."""
    _trace_coverage(item)
    delivered = item.session.stash[_SESSION_MAIL][1]
    before = len(delivered)
    try:
        return (yield)
    finally:
        if item.get_closest_marker("meetlink_unchecked_mail") is not None:
            del delivered[before:]


# --- branch coverage, measured on a part of the run -----------------------------------------
# scripts/test runs the suite under ``coverage run`` with MEETLINK_COVERAGE_TESTS naming the
# test directories that measure the layers' coverage (docs/testing.md, "Branch coverage"). On
# Python 3.11 the tracer slows every line it sees, measured file or not: it is on while the
# suite loads (the modules' own lines) and while those tests run, and off for the others.

_COVERAGE_TESTS = tuple(
    Path(part.strip()).resolve()
    for part in os.environ.get("MEETLINK_COVERAGE_TESTS", "").split(",")
    if part.strip()
)
_COVERAGE: list[Any] = []  # the Coverage that `coverage run` made


def _trace_coverage(item: pytest.Item) -> None:
    if not _COVERAGE_TESTS:
        return
    import coverage

    if not _COVERAGE:  # `coverage run` started it before pytest
        current = coverage.Coverage.current()
        if current is None:
            raise pytest.UsageError("MEETLINK_COVERAGE_TESTS is set but coverage is not running")
        _COVERAGE.append(current)
    cov = _COVERAGE[0]
    started = coverage.Coverage.current() is cov  # None while stopped
    wanted = any(item.path.is_relative_to(tests) for tests in _COVERAGE_TESTS)
    if wanted and not started:
        cov.start()
    elif started and not wanted:
        cov.stop()


# Under pytest-xdist each worker reads its own mail and hands what it found to the controller
# (``workeroutput``), which reports and fails the run: a worker's exit status is not the run's.
_WORKER_MAIL = "meetlink_postal_mime"
_MAIL_FROM_WORKERS = pytest.StashKey[list[dict[str, Any]]]()


def pytest_sessionfinish(session: pytest.Session) -> None:
    stack, delivered = session.stash[_SESSION_MAIL]
    stack.close()
    found = _read_with_postal_mime(delivered)
    if _is_worker(session.config):
        session.config.workeroutput[_WORKER_MAIL] = found  # type: ignore[attr-defined]
        return
    results = [found, *session.config.stash.get(_MAIL_FROM_WORKERS, [])]
    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    problems = [line for result in results for line in result["problems"]]
    missing = next((r["missing"] for r in results if r["missing"] is not None), None)
    if missing is not None and os.environ.get("CI") == "true":
        problems.insert(0, f"postal-mime is required under CI: {missing}")
    if problems:
        _fail_run(session, reporter, problems)
    elif reporter is not None:
        reporter.ensure_newline()
        if missing is not None:
            reporter.write_line(f"delivered mail not read by postal-mime: {missing}")
        read = sum(result["read"] for result in results)
        if read:
            reporter.write_line(f"postal-mime read all {read} distinct delivered mails as sent")


def _read_with_postal_mime(delivered: list[EmailMessage]) -> dict[str, Any]:
    """What postal-mime made of the distinct mails this process delivered."""
    distinct = list({wire_bytes(m): m for m in delivered}.values())
    if not distinct:
        return {"read": 0, "problems": [], "missing": None}
    missing = postal_mime.missing()
    if missing is not None:
        return {"read": 0, "problems": [], "missing": missing}
    return {"read": len(distinct), "problems": postal_mime.check(distinct), "missing": None}


@pytest.hookimpl(optionalhook=True)
def pytest_testnodedown(node: Any, error: object) -> None:
    """The controller keeps what each xdist worker's postal-mime pass found."""
    found = getattr(node, "workeroutput", {}).get(_WORKER_MAIL)
    if found is not None:
        node.config.stash.setdefault(_MAIL_FROM_WORKERS, []).append(found)


def _fail_run(session: pytest.Session, reporter: Any, lines: list[str]) -> None:
    session.exitstatus = pytest.ExitCode.TESTS_FAILED
    if reporter is not None:
        reporter.ensure_newline()
        reporter.write_sep("=", "delivered mail read differently by postal-mime", red=True)
        for line in lines:
            reporter.write_line(line)
