"""A listener that keeps the notices only (NOTICE_KINDS of the host event feed), for tests
written about notices: the listener also hears every conference change."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from meetlink.domain.results import NOTICE_KINDS


def notices_into(notices: list[Any]) -> Callable[[Any], None]:
    """A listener appending the notices it is called with to ``notices``."""

    def listen(event: Any) -> None:
        if event.kind in NOTICE_KINDS:
            notices.append(event)

    return listen
