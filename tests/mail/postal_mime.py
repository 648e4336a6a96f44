"""An independent reader: postal-mime (a JavaScript mail parser) under Node, for many mails in
one process. ``scripts/bootstrap`` installs it (``npm ci`` in tests/mail/node); without Node
the tests that need it skip, except under CI where they fail."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest

from meetlink.adapters.mail._headers import JIS_TO_CP932
from meetlink.testing.mailcheck import intended, wire_bytes

NODE_DIR = Path(__file__).parent / "node"
_ADDRESS_HEADERS = ("from", "to", "cc", "reply-to")


def missing() -> str | None:
    """Why postal-mime cannot run here, or None."""
    if shutil.which("node") is None:
        return "node is not installed"
    if not (NODE_DIR / "node_modules" / "postal-mime").is_dir():
        return "postal-mime is not installed (scripts/bootstrap runs npm ci in tests/mail/node)"
    return None


def require() -> None:
    """Skip (fail under CI) when postal-mime cannot run."""
    reason = missing()
    if reason is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"the independent mail reader is required under CI: {reason}")
        pytest.skip(reason)


def run(mails: Sequence[bytes] = (), jis: bytes = b"") -> dict[str, Any]:
    """postal-mime's reading of each of ``mails`` (wire bytes), and WHATWG's ISO-2022-JP
    decoding of ``jis``."""
    request = {"mails": [base64.b64encode(m).decode() for m in mails], "jis": jis.hex()}
    done = subprocess.run(
        ["node", str(NODE_DIR / "read_mail.mjs")],
        input=json.dumps(request).encode(),
        capture_output=True,
        check=False,
        timeout=600,
    )
    if done.returncode != 0:
        raise AssertionError(f"postal-mime failed: {done.stderr.decode(errors='replace')}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _first(message: EmailMessage, content_type: str) -> tuple[str, str] | None:
    for part in message.walk():
        if part.get_content_type() == content_type:
            content = part.get_content()
            return content, part.get_content_charset() or "us-ascii"
    return None


def _lines(text: str) -> str:
    # postal-mime keeps the line break before a MIME boundary as part of the body.
    return text.replace("\r\n", "\n").rstrip("\n")


_CP932_CODES: dict[str, str | int | None] = dict(JIS_TO_CP932)
_AS_CP932 = str.maketrans(_CP932_CODES)


def _as_clients_decode(text: str, charset: str) -> str:
    # ISO-2022-JP bodies: clients map six JIS X 0208 codes as CP932 does (_headers module).
    text = _lines(text)
    return text.translate(_AS_CP932) if charset == "iso-2022-jp" else text


def problems(message: EmailMessage, reading: dict[str, Any]) -> list[str]:
    """How postal-mime's ``reading`` of ``message`` differs from what it holds: the Subject,
    every address (display name and address), the text and the HTML body."""
    intent = intended(message)
    want: dict[str, Any] = {"subject": intent.get("subject")}
    got: dict[str, Any] = {"subject": reading["subject"]}
    for name in _ADDRESS_HEADERS:
        sent = intent.get(name, ())
        assert isinstance(sent, tuple), (name, sent)  # an address header's (name, address)s
        want[name] = [list(pair) for pair in sent]
        got[name] = reading[name]
    for key, content_type in (("text", "text/plain"), ("html", "text/html")):
        found = _first(message, content_type)
        want[key] = None if found is None else _as_clients_decode(*found)
        got[key] = None if reading[key] is None else _lines(reading[key])
    return [
        f"{key}: postal-mime reads {got[key]!r}, sent {want[key]!r}"
        for key in want
        if got[key] != want[key]
    ]


def check(messages: Sequence[EmailMessage]) -> list[str]:
    """Every difference postal-mime finds over ``messages``, one line each."""
    readings = run([wire_bytes(m) for m in messages])["mails"]
    return [
        f"{m['Message-ID']}: {p}"
        for m, r in zip(messages, readings, strict=True)
        for p in problems(m, r)
    ]
