"""Render [`MailContent`][meetlink.ports.mailer.MailContent] into a complete participant mail (S13,
S14).

Layout of a composed message (invitation, update, withdrawal, cancellation)::

    multipart/mixed
    ├── multipart/alternative
    │   ├── text/plain
    │   ├── text/html
    │   └── text/calendar; charset=utf-8; method=REQUEST|CANCEL   (iMIP, RFC 6047)
    └── application/ics; name="invite.ics"                          (attachment)

A reminder is only the ``multipart/alternative`` of text and HTML: an iCalendar part would be
read by calendar clients as an update.

Why both the alternative part and the attachment: this is the layout Google Calendar itself
sends, so Gmail shows its invitation card and Outlook (which reads the ``text/calendar``
alternative as MS-OXCMAIL §2.1.3.3.8.2 describes) shows Accept/Decline; clients and webmail
that only look at attachments (older Apple Mail, many mobile apps) still get a file to import.
The MIME ``method`` always equals the iCalendar ``METHOD``: a mismatch is rejected by Exchange.

Headers (RFC 2047): Subject and display names decode to exactly the rendered text in every
client, in UTF-8 or (the ``iso-2022-jp`` option) ISO-2022-JP; ``_headers`` says why the
email package's default folding is not used for them.

Security (RELIABILITY §6): headers are set only through ``email``'s policy-based API
(``policy.SMTP`` settings), which refuses CR/LF, and every header-bound value is cleaned first;
values are literal text (an encoded word in a title is not decoded into a line break); the HTML
templates are autoescaped (``*.html.j2`` included), text templates are not; templates run in
Jinja2's sandbox because hosts may override them.
"""

from __future__ import annotations

import codecs
import functools
import hmac
import re
import secrets
import sys
from collections.abc import Sequence
from datetime import datetime
from email.headerregistry import Address, BaseHeader
from email.message import EmailMessage
from email.policy import EmailPolicy
from email.utils import parseaddr
from pathlib import Path
from typing import Any

import jinja2
from jinja2.sandbox import ImmutableSandboxedEnvironment

from meetlink.adapters.mail._headers import forget_stored, header_policy
from meetlink.adapters.mail._ical import calendar_for, forget_calendars
from meetlink.adapters.mail._repeat import describe_repeat
from meetlink.adapters.mail._when import describe_when, display_zone
from meetlink.domain.notification import MailKind
from meetlink.errors import ConfigurationError, MailDeliveryFailed
from meetlink.ports.mailer import MailContent

__all__ = ["JinjaMailComposer"]

_METHODS = {
    MailKind.INVITATION: "REQUEST",
    MailKind.UPDATE: "REQUEST",
    MailKind.CANCELLATION: "CANCEL",
    MailKind.WITHDRAWAL: "REQUEST",  # the event stays: an update without the URL
}
_LOCALES = ("ja", "en")
_FALLBACK_LOCALE = "en"
# Anything that could end a header line or confuse a reader: C0/C1 controls, DEL, Unicode line
# and paragraph separators. Replaced by one space (S32).
_LINE_BREAKERS = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# A space and any white space after it: one space in a display name (see _display_name).
_SPACES = re.compile(r" \s+")
_NAME_MAX = 100
# A URI or address may not contain whitespace or controls at all.
_NOT_IN_URI = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]")
_ATEXT = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~.-]+"
_MESSAGE_ID = re.compile(rf"<{_ATEXT}@(?:{_ATEXT}|\[[!-Z^-~]*\])>")
# Python codec name -> the name MIME wants in ``charset=``.
_MIME_CHARSETS = {"utf-8": "utf-8", "iso2022_jp": "iso-2022-jp"}


def _one_line(value: str) -> str:
    """``value`` with every line break and control character collapsed to a space."""
    return _LINE_BREAKERS.sub(" ", value).strip()


def _display_name(value: str) -> str:
    """A display name on one line without runs of spaces: readers of an address header take
    a run of white space in a name as one space (RFC 5322 3.2.4; Python's parser: any white
    space after a space), so the name sent is the name shown. At most ``_NAME_MAX``
    characters (cut with "…"): the name goes out as one encoded word, whose line must stay
    under RFC 5322's 998 characters; the greeting in the body keeps the whole name."""
    name = _SPACES.sub(" ", _one_line(value))
    return name if len(name) <= _NAME_MAX else f"{name[: _NAME_MAX - 1].rstrip()}…"


def _refuse(field: str, why: str) -> MailDeliveryFailed:
    # Permanent: composing the same content again can never succeed, so the outbox must not
    # retry it. The message names the field, not the value (it may be attacker-controlled).
    return MailDeliveryFailed(f"cannot compose mail: {field} {why}", permanent=True)


def _address(name: str, email: str, field: str) -> Address:
    """A header address; ``addr_spec=`` always (``Address("山田", "a@b")`` misparses)."""
    if not email or _NOT_IN_URI.search(email):
        raise _refuse(field, "is empty or contains whitespace or control characters")
    try:
        local, _, domain = email.rpartition("@")
        if not local.isascii():
            # RFC 6531 (SMTPUTF8): the email package refuses to parse a UTF-8 local part but
            # writes one given as parts; mailers send it with SMTPUTF8 (utf8 policy). An
            # encoded word in it would be decoded by readers (the email package's parser
            # turned one into a CR LF): refused, as the parser refuses it in an ASCII one.
            if "=?" in local:
                raise _refuse(field, "is not a valid mail address")
            return Address(display_name=_display_name(name), username=local, domain=domain)
        return Address(display_name=_display_name(name), addr_spec=email)
    except (ValueError, IndexError) as exc:
        raise _refuse(field, "is not a valid mail address") from exc


# The addresses every mail of a mailing has (From, Reply-To), checked and parsed once
# (Address objects never change; a refused value raises each time, uncached).
_shared_address = functools.lru_cache(maxsize=64)(_address)


def _one_address(value: str, field: str) -> Address:
    """``"Name <address>"`` or a bare address, as one header address."""
    if _LINE_BREAKERS.search(value):
        raise _refuse(field, "contains line breaks or control characters")
    name, addr = parseaddr(value)
    if "@" not in addr:
        raise _refuse(field, "is not a valid mail address")
    return _address(name, addr, field)


# The same for a "Name <address>" value (mail_from, reply_to settings).
_shared_one_address = functools.lru_cache(maxsize=64)(_one_address)


_SHARED_MAX = 256
_shared_headers: dict[tuple[Any, ...], BaseHeader] = {}


def _shared_header(policy: EmailPolicy, name: str, value: Address | datetime) -> BaseHeader:
    """The header ``name`` for ``value``, made once per distinct value (the From, Reply-To
    and Date of one mailing's messages): header objects never change, and the policy folds
    each once. The key is all a header is made of (an address's parts; a time's text with
    its offset and zone), so equal keys make equal headers."""
    if isinstance(value, Address):
        key: tuple[Any, ...] = (policy, name, value.display_name, value.username, value.domain)
    else:
        key = (policy, name, value.isoformat(), value.tzinfo)
    header = _shared_headers.get(key)
    if header is None:
        if len(_shared_headers) >= _SHARED_MAX:
            _shared_headers.clear()
        header = policy.header_store_parse(name, value)[1]
        _shared_headers[key] = header
    return header


# Boundaries as the email package draws them ("=" * 15, 19 digits, "=="), but one per mailing
# and multipart: a keyed hash of the mailing (secret per process), so a mailing's messages share
# their multipart Content-Type headers and no one can tell a boundary before the mail arrives.
_BOUNDARY_KEY = secrets.token_bytes(32)
_BOUNDARY_DIGITS = len(repr(sys.maxsize - 1))


def _set_boundaries(msg: EmailMessage, content: MailContent) -> None:
    """Give each multipart of ``msg`` its mailing's boundary (the generator would draw a
    random one per message, and parse the Content-Type anew with it). A boundary that occurs
    in the message's text (titles and names are the sender's text) is replaced by a random
    one for this message alone: the generator checks for the same, but only for the
    boundaries it draws itself. Parts are checked as they go out: each leaf's payload is its
    encoded text, and their headers are the composer's own."""
    mailing = "\x00".join(
        (content.uid, str(content.sequence), content.kind.value, content.created_at.isoformat())
    )
    multiparts: list[EmailMessage] = []
    texts: list[str] = []
    for part in msg.walk():
        payload = part.get_payload()
        if part.is_multipart():
            multiparts.append(part)
        elif isinstance(payload, str):
            texts.append(payload)
    text = "\n".join(texts)
    used: set[str] = set()
    for part in multiparts:
        boundary = _mailing_boundary(mailing, part.get_content_subtype())
        while boundary in used or f"--{boundary}" in text:
            boundary = _boundary(secrets.randbelow(sys.maxsize))
        used.add(boundary)
        part.set_boundary(boundary)


@functools.lru_cache(maxsize=256)
def _mailing_boundary(mailing: str, subtype: str) -> str:
    mac = hmac.digest(_BOUNDARY_KEY, f"{mailing}\x00{subtype}".encode(), "sha256")
    return _boundary(int.from_bytes(mac[:8]) % sys.maxsize)


def _boundary(token: int) -> str:
    return f"{'=' * 15}{token:0{_BOUNDARY_DIGITS}d}=="


def _check_content(content: MailContent) -> None:
    url = content.join_url
    if content.kind is MailKind.WITHDRAWAL and url:
        raise _refuse("join_url", "must be empty in a withdrawal (the URL is gone)")
    if content.kind in (MailKind.WITHDRAWAL, MailKind.CANCELLATION) and not url:
        pass  # an event participants hold without a URL (withdrawn) has none to name
    elif _NOT_IN_URI.search(url) or not url.lower().startswith(("https://", "http://")):
        raise _refuse("join_url", "must be a single-line http(s) URL")
    owner = [("owner_email", content.owner_email)] if content.owner_email else []
    for field, email in [
        ("organizer_email", content.organizer_email),
        *owner,
        *(("attendee_emails", e) for e in content.attendee_emails),
    ]:
        if not email or _NOT_IN_URI.search(email) or "@" not in email:
            raise _refuse(field, "must be a single-line mail address")
    for field, moment in [
        ("start", content.start),
        ("end", content.end),
        ("created_at", content.created_at),
    ]:
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise _refuse(field, "must be timezone-aware")


def _normal_locale(locale: str) -> str:
    primary = locale.replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in _LOCALES else _FALLBACK_LOCALE


def _text_cte(text: str, charset: str) -> str | None:
    # Text whose encoded form is not 7-bit (UTF-8 Japanese) goes out base64 rather than 8bit,
    # so a relay without 8BITMIME cannot break it (RELIABILITY §6.4); ASCII and ISO-2022-JP
    # are 7-bit already (None lets the email package pick 7bit, or QP for long lines).
    return None if text.encode(charset).isascii() else "base64"


class JinjaMailComposer:
    """Composes participant mail from Jinja2 templates (implements ``MailComposer``).

    Templates live in ``meetlink/adapters/mail/templates/<locale>/<kind>.{subject.j2,
    txt.j2,html.j2}`` (``kind`` is the ``MailKind`` value, ``locale`` "ja" or "en"); any
    ``template_dirs`` are searched first, with the same layout, so a host can override one file.
    Templates are read and compiled once per composer (a changed file is read by a new one).
    ``charset`` is the body charset; ``"iso-2022-jp"`` is honoured per message only when the
    whole text can be encoded in it, otherwise that message falls back to UTF-8.
    """

    def __init__(
        self,
        *,
        sender: str | None = None,
        template_dirs: Sequence[str | Path] = (),
        charset: str = "utf-8",
    ) -> None:
        try:
            codec = codecs.lookup(charset).name
        except LookupError as exc:
            raise ConfigurationError(f"unknown mail charset {charset!r}") from exc
        self._charset = _MIME_CHARSETS.get(codec, charset.lower())
        self._sender: Address | None = None
        if sender is not None:
            try:
                self._sender = _one_address(sender, "sender")
            except MailDeliveryFailed as exc:
                raise ConfigurationError(
                    f"sender must be one mail address, got {sender!r}"
                ) from exc
        loaders: list[jinja2.BaseLoader] = [
            jinja2.FileSystemLoader([str(d) for d in template_dirs])
        ]
        loaders.append(jinja2.PackageLoader("meetlink.adapters.mail", "templates"))
        self._env = ImmutableSandboxedEnvironment(
            loader=jinja2.ChoiceLoader(loaders),
            # RELIABILITY §6.2: the defaults miss "*.html.j2"; text parts stay unescaped.
            autoescape=jinja2.select_autoescape(
                enabled_extensions=("html", "htm", "xml", "html.j2", "htm.j2", "xml.j2"),
                disabled_extensions=("txt", "txt.j2", "subject.j2"),
                default_for_string=True,
                default=False,
            ),
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            # Each template is compiled once, at its first use; no stat of its file per mail.
            auto_reload=False,
        )

    def forget_shared(self) -> None:
        """Drop what this process keeps to share between the messages of a mailing: parsed
        headers (subjects, recipients), calendars, addresses and boundaries. ``run_pending()``
        calls it after a pass that delivered mail, so titles and addresses never stay in
        memory past the pass that sent them (an erasure leaves none behind); the next
        mailing parses its shared parts again, once."""
        forget_stored()
        forget_calendars()
        _shared_address.cache_clear()
        _shared_one_address.cache_clear()
        _mailing_boundary.cache_clear()
        _shared_headers.clear()

    def __repr__(self) -> str:
        sender = None if self._sender is None else str(self._sender)
        return f"JinjaMailComposer(sender={sender!r}, charset={self._charset!r})"

    def compose(self, content: MailContent) -> EmailMessage:
        """The complete message for ``content``, ready for a ``Mailer``.

        Raises [`MailDeliveryFailed`][meetlink.errors.MailDeliveryFailed] (``permanent=True``) when
        the content cannot make a valid mail (an address or URL with line breaks, naive times)."""
        _check_content(content)
        locale = _normal_locale(content.locale)
        subject, text, html = self._render(content, locale)

        policy = header_policy(self._charset)
        msg = EmailMessage(policy=policy)
        # The headers a mailing's messages have in common are made once (_shared_header).
        msg["From"] = _shared_header(policy, "From", self._from(content))
        if content.reply_to:
            reply_to = _shared_one_address(content.reply_to, "reply_to")
            msg["Reply-To"] = _shared_header(policy, "Reply-To", reply_to)
        msg["To"] = _address(content.to_name, content.to_email, "to_email")
        msg["Subject"] = subject
        # In the event's zone (the same instant): mail clients that show the header's own
        # offset show the recipient's local time, not UTC.
        date = content.created_at.astimezone(display_zone(content.timezone))
        msg["Date"] = _shared_header(policy, "Date", date)
        msg["Message-ID"] = self._message_id(content.message_id)

        charset = self._body_charset(text, html)
        msg.set_content(text, charset=charset, cte=_text_cte(text, charset))
        msg.add_alternative(html, subtype="html", charset=charset, cte=_text_cte(html, charset))

        method = _METHODS.get(content.kind)
        if method is not None:
            ics = calendar_for(content, method)
            # RFC 5545 / IANA: iCalendar is UTF-8 and the MIME ``method`` must equal METHOD;
            # base64 keeps its CRLF line ends intact through any relay. (The email package
            # always writes the parameter quoted, ``method="REQUEST"``: an RFC 2045
            # quoted-string, equivalent to the bare token.)
            msg.add_alternative(
                ics.decode("utf-8"),
                subtype="calendar",
                charset="utf-8",
                cte="base64",
                params={"method": method},
            )
            msg.add_attachment(ics, maintype="application", subtype="ics", filename="invite.ics")
        _set_boundaries(msg, content)
        return msg

    def _from(self, content: MailContent) -> Address:
        """The ``mail_from`` setting, else the composer's ``sender``, else the organizer."""
        if content.mail_from:
            return _shared_one_address(content.mail_from, "mail_from")
        if self._sender is not None:
            return self._sender
        return _shared_address(content.organizer_name, content.organizer_email, "organizer_email")

    def _message_id(self, message_id: str) -> str:
        value = message_id.strip()
        value = value if value.startswith("<") else f"<{value}>"
        # Checked before the email package sees it: its parser silently truncates
        # "<a@b@c>" to "<a@b>" and crashes (IndexError) on "<@x>" or "<(c)@x>".
        if not _MESSAGE_ID.fullmatch(value):
            raise _refuse("message_id", "must look like <left@right> (ASCII, no spaces)")
        return value

    def _body_charset(self, *texts: str) -> str:
        """The configured charset if every text encodes in it, else UTF-8 (S34: no mojibake,
        no substituted characters, no UnicodeEncodeError)."""
        if self._charset == "utf-8":
            return "utf-8"
        try:
            for text in texts:
                text.encode(self._charset)
        except UnicodeEncodeError:
            return "utf-8"
        return self._charset

    def _render(self, content: MailContent, locale: str) -> tuple[str, str, str]:
        # ISO-2022-JP has no U+FF5E FULLWIDTH TILDE; U+301C WAVE DASH is its JIS X 0208 form.
        range_sep = "〜" if self._charset == "iso-2022-jp" else "～"
        if locale != "ja":
            range_sep = " - "
        when = describe_when(
            content.start,
            content.end,
            content.timezone,
            locale,
            range_sep=range_sep,
            all_day=content.all_day,
        )
        repeats = describe_repeat(
            content.recurrence,
            content.exdates,
            content.moved,
            display_zone(content.timezone),
            locale,
        )
        context: dict[str, Any] = {
            "kind": content.kind.value,
            "locale": locale,
            "to_name": content.to_name,
            "to_email": content.to_email,
            "title": content.title,
            "when": when.when,
            "repeats": repeats,
            "start_text": when.start_text,
            "end_text": when.end_text,
            "timezone": when.timezone,
            "description": content.description,
            "provider_name": content.provider_name,
            "join_url": content.join_url,
            "passcode": content.passcode,
            "organizer_name": content.owner_name if content.owner_email else content.organizer_name,
            "organizer_email": content.owner_email or content.organizer_email,
            "changes": content.changes,
        }
        kind = content.kind.value
        subject = self._template(locale, f"{kind}.subject.j2").render(context)
        text = self._template(locale, f"{kind}.txt.j2").render(context)
        html = self._template(locale, f"{kind}.html.j2").render(context)
        return _one_line(subject), text, html

    def _template(self, locale: str, name: str) -> jinja2.Template:
        return self._env.select_template([f"{locale}/{name}", f"{_FALLBACK_LOCALE}/{name}"])
