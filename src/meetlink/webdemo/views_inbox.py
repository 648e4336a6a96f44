"""The inbox: every mail the participants received (captured by the demo's mailer), with
its text and HTML parts and the invitation's calendar details (S13, S14)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, request

from .app import demo, fail, page
from .inbox import MailBox

bp = Blueprint("inbox", __name__)

#: What kind of mail a message is, by its iCalendar METHOD (a reminder carries none).
KINDS = {"REQUEST": "Invitation or update", "CANCEL": "Cancellation", None: "Reminder"}


@bp.get("/inbox")
def inbox() -> Any:
    """Every captured mail (or one recipient's), newest first."""
    box = MailBox(demo().mail_dir)
    recipient = request.args.get("to") or None
    return page(
        "inbox.html",
        "Inbox",
        mails=box.mails(recipient),
        recipients=box.recipients(),
        recipient=recipient,
        kinds=KINDS,
    )


@bp.get("/inbox/<name>")
def mail(name: str) -> Any:
    """One mail: headers, text, HTML and the invitation's details."""
    detail = MailBox(demo().mail_dir).detail(name)
    if detail is None:
        fail(404, "There is no such mail.")
    return page("mail.html", "Mail", detail=detail)
