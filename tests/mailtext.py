"""The text of a delivered mail, as the tests read it."""

from __future__ import annotations

from email.message import EmailMessage


def plain(message: EmailMessage) -> str:
    """The decoded text of the mail's text/plain body; AssertionError when it has none."""
    part = message.get_body(("plain",))
    assert part is not None, f"no text/plain body in {message['Subject']!r}"
    text = part.get_content()
    assert isinstance(text, str)
    return text
