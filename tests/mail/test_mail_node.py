"""A JavaScript mail parser (postal-mime, as webmail and mail workers use) reads meetlink's
mail as sent: the same Subject, names and bodies, for every kind, locale and charset."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from meetlink.adapters.mail import JinjaMailComposer
from meetlink.adapters.mail._headers import JIS_TO_CP932
from meetlink.domain.notification import MailKind
from meetlink.testing.mailcheck import wire_bytes
from tests.mail import postal_mime
from tests.mail.mail_support import COMBINATIONS, SUBJECTS, TEXTS, build_content


@pytest.fixture(autouse=True)
def _node() -> None:
    postal_mime.require()


def test_postal_mime_reads_arbitrary_titles_and_names_as_sent() -> None:
    composed = []

    # Hypothesis draws the mails; one Node process then reads them all.
    @settings(max_examples=200, deadline=None)
    @given(combination=st.sampled_from(COMBINATIONS), title=TEXTS, name=TEXTS, organizer=TEXTS)
    def compose(
        combination: tuple[MailKind, str, str], title: str, name: str, organizer: str
    ) -> None:
        kind, locale, charset = combination
        content = build_content(
            kind=kind, locale=locale, title=title, to_name=name, organizer_name=organizer
        )
        composed.append(JinjaMailComposer(charset=charset).compose(content))

    compose()
    for kind, locale, charset in COMBINATIONS:  # each combination at least once, plainly
        content = build_content(kind=kind, locale=locale, title="Demo while Zoom is down")
        composed.append(JinjaMailComposer(charset=charset).compose(content))
    assert postal_mime.check(composed) == []


def test_postal_mime_reads_the_demo_subject_and_a_long_name() -> None:
    name = "株式会社サンプル 営業部 山田 太郎 様 (東京本社)"  # longer than one 75-char word
    sender = "鈴木 一郎 via meetlink <no-reply@meetlink.invalid>"
    for charset in ("utf-8", "iso-2022-jp"):
        content = build_content(title="Demo while Zoom is down", to_name=name)
        message = JinjaMailComposer(sender=sender, charset=charset).compose(content)
        (reading,) = postal_mime.run([wire_bytes(message)])["mails"]
        prefix, suffix = SUBJECTS[("ja", MailKind.INVITATION)]
        assert reading["subject"] == f"{prefix}Demo while Zoom is down{suffix}"
        assert reading["to"] == [[name, "taro@example.jp"]]
        assert reading["from"] == [["鈴木 一郎 via meetlink", "no-reply@meetlink.invalid"]]


def test_jis_characters_clients_map_differently_are_exactly_the_known_ones() -> None:
    # Every character Python's ISO-2022-JP codec encodes, decoded by the WHATWG decoder
    # (browsers, Node; Windows' CP932 agrees): those that come back different must be exactly
    # the table the header encoder avoids.
    encodable = []
    for point in range(0x80, 0x10000):
        char = chr(point)
        if 0xD800 <= point <= 0xDFFF:
            continue
        try:
            char.encode("iso2022_jp")
        except UnicodeEncodeError:
            continue
        encodable.append(char)
    text = "".join(encodable)
    decoded = postal_mime.run(jis=text.encode("iso2022_jp"))["jis"]
    assert len(decoded) == len(text)
    differ = {a: b for a, b in zip(text, decoded, strict=True) if a != b}
    assert differ == JIS_TO_CP932
    assert len(encodable) > 6000  # JIS X 0208 and 0201 Roman: the table covers them all
