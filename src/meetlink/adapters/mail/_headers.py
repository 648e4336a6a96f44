"""Text headers (Subject, display names) that every client decodes to exactly the text set.

Why not the email package's default folding: ``policy.SMTP`` encodes non-ASCII words as RFC
2047 encoded words and, when a line is full, folds *between* two encoded words at a space of
the text. Decoders drop the whitespace between adjacent encoded words (RFC 2047 §6.2), so
"Zoom is down" reaches every client as "Zoom isdown" (CPython gh-144156, unfixed in 3.11). It
also only ever encodes in UTF-8, so the ISO-2022-JP option could not reach the Subject.

So the composer's policy maps text headers to the classes below through the documented
extension point (a ``HeaderRegistry`` as ``header_factory``);
their ``fold`` writes the value with ``email.header.Header``, which encodes a whole value
as encoded words cut between characters: every space of the text stays inside a word, and
the folding space between words is the only whitespace a decoder drops. Text that is printable
ASCII is written as is (folded at its own spaces) unless it would look like an encoded word
or cannot fold within the line limit.

Values set by code are literal text: the default policy decodes encoded words in any value it
is given, so a title "=?utf-8?q?a=0D=0ABcc:...?=" became a CR LF and a Bcc header on the wire
(S32). Here it is sent as those characters. Values read from the wire decode as usual.
"""

from __future__ import annotations

import re
from email.charset import Charset
from email.header import Header
from email.headerregistry import (
    Address,
    AddressHeader,
    BaseHeader,
    HeaderRegistry,
    UnstructuredHeader,
)
from email.policy import EmailPolicy, Policy
from email.utils import formataddr
from functools import cache, lru_cache
from typing import Any, ClassVar

__all__ = [
    "JIS_TO_CP932",
    "EncodedAddresses",
    "EncodedUnstructured",
    "encode_text",
    "forget_stored",
    "header_policy",
]

# RFC 2047 §2: an encoded word is at most 75 characters; lines of at most 76 leave room for
# the continuation space before it, and stay under RFC 5322's 78.
_MAX_LINE = 76
# Printable ASCII only: anything else (controls included) goes inside an encoded word.
_PLAIN = re.compile(r"[ -~]*")
# JIS X 0208 codes whose Unicode mapping differs between Python's codec (the JIS standard:
# 0x2141 is U+301C WAVE DASH) and Windows, browsers and the WHATWG Encoding Standard that
# mail clients follow (CP932: 0x2141 is U+FF5E FULLWIDTH TILDE). Text holding one of them
# cannot decode to the same characters everywhere in ISO-2022-JP, so its header goes out in
# UTF-8 (tests/mail/test_mail_node.py checks this table against Node's decoder).
JIS_TO_CP932 = {
    "\u301c": "\uff5e",  # 〜 -> ～
    "\u2016": "\u2225",  # ‖ -> ∥
    "\u2212": "\uff0d",  # − -> －
    "\u00a2": "\uffe0",  # ¢ -> ￠
    "\u00a3": "\uffe1",  # £ -> ￡
    "\u00ac": "\uffe2",  # ¬ -> ￢
}


def _charset_for(text: str, preferred: str) -> str:
    if preferred != "iso-2022-jp" or not JIS_TO_CP932.keys().isdisjoint(text):
        return "utf-8"
    try:
        text.encode("iso2022_jp")
    except UnicodeEncodeError:  # 髙, ①, emoji...: per header fallback, as for bodies (S34)
        return "utf-8"
    return preferred


def _fits(first_used: int, folded: str, linesep: str) -> bool:
    lines = folded.split(linesep)
    return first_used + len(lines[0]) <= _MAX_LINE and all(
        len(line) <= _MAX_LINE for line in lines[1:]
    )


def encode_text(text: str, *, charset: str, name: str, linesep: str) -> str:
    """``text`` as a folded header value (no ``"Name: "``, no final line break) that decodes
    to exactly ``text``; ``name`` is the header name, for the first line's length."""
    if _PLAIN.fullmatch(text) and "=?" not in text:
        folded = Header(text, "us-ascii", _MAX_LINE, name).encode(linesep=linesep)
        if _fits(len(name) + 2, folded, linesep):
            return folded
    header = Header(text, _charset_for(text, charset), _MAX_LINE, name)
    return header.encode(linesep=linesep)


class _Literal(str):
    """A header value set by code (see
    [`_ComposingPolicy`][meetlink.adapters.mail._headers._ComposingPolicy])."""


class _ComposingPolicy(EmailPolicy):
    """``policy.SMTP`` whose ``msg[name] = text`` keeps ``text`` literal (module docstring).

    With ``share_headers``, a header set from text is parsed once per (name, text) and the
    header object reused (header objects are immutable: a ``str`` and its parse), so the
    Content-Type and Content-Transfer-Encoding of every part, the Subject and MIME-Version of
    a mailing's thousands of messages are parsed once, not per message and part."""

    share_headers = False

    def header_store_parse(self, name: str, value: Any) -> tuple[str, Any]:
        if isinstance(value, str) and not isinstance(value, BaseHeader):
            if self.share_headers:
                return name, _stored(self, name, str(value))
            value = _Literal(value)
        return super().header_store_parse(name, value)


class _SharingPolicy(_ComposingPolicy):
    """[`_ComposingPolicy`][meetlink.adapters.mail._headers._ComposingPolicy] with
    ``share_headers``: the composer's."""

    share_headers = True


def forget_stored() -> None:
    """Drop every shared header object (see ``JinjaMailComposer.forget_shared``)."""
    _stored.cache_clear()


@lru_cache(maxsize=1024)
def _stored(policy: _ComposingPolicy, name: str, text: str) -> BaseHeader:
    """The header ``name: text`` parsed (literal text) under ``policy``: one object per
    distinct (policy, name, text), whoever sets it. Equal text is the only key: a message gets
    the object parsed from exactly its own text (a Subject, a To) or none."""
    header: BaseHeader = EmailPolicy.header_store_parse(policy, name, _Literal(text))[1]
    return header


class _FoldOnce:
    """Mixed in first to a header class: the header keeps its folded form per kind of wire
    form (line separator, line length, UTF-8 allowed: all a header's ``fold`` reads of the
    policy), so serialising the same header object again, for another recipient or another
    SMTP attempt, does not fold it again. Header objects never change after they are made.
    (Not a ``BaseHeader`` itself: that would put ``BaseHeader`` before classes such as
    ``DateHeader`` that the registry mixes with it.)"""

    def fold(self, *, policy: Policy) -> str:
        key = (policy.linesep, policy.max_line_length, getattr(policy, "utf8", False))
        folds: dict[tuple[str, int | None, bool], str] = self.__dict__.setdefault("_folds", {})
        folded = folds.get(key)
        if folded is None:
            folded = folds[key] = super().fold(policy=policy)  # type: ignore[misc]
        return folded


class _SharingRegistry(HeaderRegistry):
    """A ``HeaderRegistry`` whose header classes fold once
    ([`_FoldOnce`][meetlink.adapters.mail._headers._FoldOnce]) and are made once per mapped
    class (the stock registry makes a new class for every header it creates)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._made: dict[type, type] = {}

    def __getitem__(self, name: str) -> type:
        cls = self.registry.get(name.lower(), self.default_class)
        made = self._made.get(cls)
        if made is None:
            made = type("_" + cls.__name__, (_FoldOnce, cls, self.base_class), {})
            made = self._made.setdefault(cls, made)
        return made


class EncodedUnstructured(UnstructuredHeader, BaseHeader):
    """An unstructured header (Subject, X-...) folded by
    [`encode_text`][meetlink.adapters.mail._headers.encode_text]."""

    charset: ClassVar[str] = "utf-8"

    @classmethod
    def parse(cls, value: str, kwds: dict[str, Any]) -> None:
        super().parse(value, kwds)
        if isinstance(value, _Literal):
            kwds["decoded"] = str(value)

    def fold(self, *, policy: Policy) -> str:
        linesep = policy.linesep
        value = encode_text(str(self), charset=self.charset, name=self.name, linesep=linesep)
        return f"{self.name}: {value}{linesep}"


# The bases in the order HeaderRegistry itself combines them (its ``init`` extends the base's).
class EncodedAddresses(AddressHeader, BaseHeader):  # type: ignore[misc]
    """An address header (From, To, Reply-To...): each display name that is not plain ASCII
    is one encoded word, one address per line when there are several. A display name is a
    phrase: readers take a run of white space in it as one space (RFC 5322 3.2.4), so
    callers give names with single spaces (the composer does)."""

    charset: ClassVar[str] = "utf-8"

    def fold(self, *, policy: Policy) -> str:
        linesep = policy.linesep
        if any(group.display_name is not None for group in self.groups):
            # Group syntax (meetlink writes none) keeps the email package's folding.
            return super().fold(policy=policy)
        utf8 = bool(getattr(policy, "utf8", False))
        parts = []
        for index, address in enumerate(self.addresses):
            label = self.name if index == 0 else ""
            if address.addr_spec.isascii():
                parts.append(self._one(address.display_name, address.addr_spec, label, linesep))
            else:
                parts.append(self._utf8(address, label, linesep, utf8=utf8))
        return f"{self.name}: {f',{linesep} '.join(parts)}{linesep}"

    def _utf8(self, address: Address, label: str, linesep: str, *, utf8: bool) -> str:
        """A mailbox whose local part is UTF-8 (RFC 6531), written from the address's own
        parts. Not by the email package's folding: it folds a parse of the header's text, and
        its parser decodes an encoded word in a quoted string or at the start of a local part,
        so a name or local part holding ``=?utf-8?q?=0D=0ABcc...?=`` put a CR LF and a Bcc
        header on the wire. The name is written as for any address; the address as UTF-8
        (SMTPUTF8, RFC 6532: how mailers send it) or, under a policy without UTF-8, with the
        local part as one encoded word (what the email package writes there)."""
        if utf8:
            addr_spec = address.addr_spec
        else:
            addr_spec = f"{Charset('utf-8').header_encode(address.username)}@{address.domain}"
        name = address.display_name
        if not name:
            return addr_spec
        phrase = self._phrase(name)
        if len(label) + 2 + len(phrase) + len(addr_spec) + 3 <= _MAX_LINE:
            return f"{phrase} <{addr_spec}>"
        return f"{phrase}{linesep} <{addr_spec}>"

    def _phrase(self, name: str) -> str:
        """A mailbox's non-empty display ``name`` as written before its address: plain ASCII
        as it is, quoted where it needs to be (``formataddr``'s rule); anything else as one
        encoded word for the whole name, even past RFC 2047's 75 characters: Python's address
        parser puts a space between adjacent encoded words of a name where RFC 2047 readers
        join them, so only a single word reads the same in both (callers bound the name's
        length; the composer does)."""
        if _PLAIN.fullmatch(name) and "=?" not in name:
            placeholder = "a@b"  # formataddr quotes the name as needed (an ASCII address)
            return formataddr((name, placeholder)).removesuffix(f" <{placeholder}>")
        return Charset(_charset_for(name, self.charset)).header_encode(name)

    def _one(self, display_name: str, addr_spec: str, label: str, linesep: str) -> str:
        mailbox = f"{self._phrase(display_name)} <{addr_spec}>" if display_name else addr_spec
        folded = Header(mailbox, "us-ascii", _MAX_LINE, label).encode(linesep=linesep)
        # A word too long for the first line stays on it rather than leave that line empty.
        return folded.removeprefix(f"{linesep} ")


class _UniqueEncodedUnstructured(EncodedUnstructured):
    max_count = 1


class _UniqueEncodedAddresses(EncodedAddresses):
    max_count = 1


class _JisUnstructured(EncodedUnstructured):
    charset = "iso-2022-jp"


class _JisUniqueUnstructured(_UniqueEncodedUnstructured):
    charset = "iso-2022-jp"


class _JisUniqueAddresses(_UniqueEncodedAddresses):
    charset = "iso-2022-jp"


_UNIQUE_ADDRESSES = ("from", "to", "cc", "bcc", "reply-to")


@cache
def header_policy(charset: str, *, shared: bool = True) -> EmailPolicy:
    """``policy.SMTP`` with Subject, the address headers and any other unstructured header
    written by this module's classes; ``charset`` "iso-2022-jp" encodes their non-ASCII text
    in ISO-2022-JP where it can (any other charset: UTF-8).

    ``shared`` (the composer's): headers set from text are parsed once and every header folds
    once per wire form, the same bytes as ``shared=False`` (tests/mail/test_shared_parts.py
    compares them)."""
    jis = charset == "iso-2022-jp"
    default = _JisUnstructured if jis else EncodedUnstructured
    registry = (
        _SharingRegistry(default_class=default) if shared else HeaderRegistry(default_class=default)
    )
    registry.map_to_type("subject", _JisUniqueUnstructured if jis else _UniqueEncodedUnstructured)
    for name in _UNIQUE_ADDRESSES:
        registry.map_to_type(name, _JisUniqueAddresses if jis else _UniqueEncodedAddresses)
    kind = _SharingPolicy if shared else _ComposingPolicy
    return kind(linesep="\r\n", header_factory=registry)  # policy.SMTP's settings
