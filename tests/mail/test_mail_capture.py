"""RecordingMailer and DirectoryMailer: the in-memory fake and the demo capture."""

from __future__ import annotations

import email
import threading
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest

from meetlink.adapters.mail import DirectoryMailer, JinjaMailComposer, RecordingMailer
from meetlink.errors import MailDeliveryFailed
from meetlink.testing.mailcheck import recording_deliveries
from tests.mail.mail_support import MakeContent


@pytest.fixture
def message(make_content: MakeContent) -> EmailMessage:
    return JinjaMailComposer().compose(make_content())


def test_recording_mailer_records(message: EmailMessage) -> None:
    mailer = RecordingMailer()
    mailer.send(message)
    assert mailer.outbox == [message]
    mailer.clear()
    assert mailer.outbox == []


def test_recording_mailer_injected_failures(message: EmailMessage) -> None:
    mailer = RecordingMailer()
    mailer.fail_next(2)
    mailer.fail_next(permanent=True)
    outcomes = []
    for _ in range(3):
        with pytest.raises(MailDeliveryFailed) as caught:
            mailer.send(message)
        outcomes.append(caught.value.permanent)
    assert outcomes == [False, False, True]
    assert mailer.outbox == []
    mailer.send(message)
    assert mailer.outbox == [message]


def test_recording_mailer_is_thread_safe(make_content: MakeContent) -> None:
    composer = JinjaMailComposer()
    messages = [composer.compose(make_content(message_id=f"<m{i}@x>")) for i in range(40)]
    mailer = RecordingMailer()
    mailer.fail_next(10)
    failures: list[MailDeliveryFailed] = []
    lock = threading.Lock()

    def worker(chunk: list[EmailMessage]) -> None:
        for msg in chunk:
            try:
                mailer.send(msg)
            except MailDeliveryFailed as exc:
                with lock:
                    failures.append(exc)

    threads = [threading.Thread(target=worker, args=(messages[i::4],)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(failures) == 10
    assert len(mailer.outbox) == 30


def test_recording_mailer_rejects_unsendable() -> None:
    bare = EmailMessage()
    bare.set_content("no recipient")
    with pytest.raises(MailDeliveryFailed) as caught:
        RecordingMailer().send(bare)
    assert caught.value.permanent


def test_directory_mailer_writes_parseable_eml(message: EmailMessage, tmp_path: Path) -> None:
    target = tmp_path / "outbox"
    mailer = DirectoryMailer(target)
    mailer.send(message)
    mailer.send(message)  # a resend overwrites: one file per Message-ID
    (path,) = target.iterdir()
    assert path.name == "ev-1.invitation.taro@meetlink.invalid.eml"
    raw = path.read_bytes()
    assert b"\r\n" in raw
    parsed = email.message_from_bytes(raw, policy=policy.default)
    assert parsed["Message-ID"] == message["Message-ID"]
    assert parsed["Subject"] == message["Subject"]
    assert [p.get_content_type() for p in parsed.walk()].count("text/calendar") == 1


@pytest.mark.parametrize(
    "message_id", ["<../../etc/passwd@x>", "<..@..>", "<a/b\\c:d*e?f@x>", "<...hidden@x>"]
)
def test_directory_mailer_file_names_are_safe(tmp_path: Path, message_id: str) -> None:
    msg = EmailMessage()
    msg["To"] = "a@example.com"
    msg["Message-ID"] = message_id
    msg.set_content("x")
    mailer = DirectoryMailer(tmp_path)
    name = mailer.file_name(msg)
    assert "/" not in name and "\\" not in name and not name.startswith(".")
    mailer.send(msg)
    (path,) = tmp_path.iterdir()
    assert path.parent == tmp_path and path.name == name


def test_directory_mailer_unwritable_is_temporary(message: EmailMessage, tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(MailDeliveryFailed) as caught:
        DirectoryMailer(blocker / "sub").send(message)
    assert not caught.value.permanent


def test_the_mail_check_sees_what_recording_and_directory_mailers_deliver(
    message: EmailMessage, tmp_path: Path
) -> None:
    # The demos capture mail with a DirectoryMailer: the mail check reads theirs too.
    with recording_deliveries() as delivered:
        DirectoryMailer(tmp_path).send(message)
        RecordingMailer().send(message)
    assert delivered == [message, message]
    DirectoryMailer(tmp_path).send(message)  # after the block: not recorded
    assert len(delivered) == 2
