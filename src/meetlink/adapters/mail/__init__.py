"""Participant mail: a Jinja2 composer and mailers (SMTP, in-memory, directory capture).

Wiring::

    from meetlink.adapters.mail import JinjaMailComposer, SmtpMailer

    composer = JinjaMailComposer(sender="Example <no-reply@example.com>")
    mailer = SmtpMailer("smtp.example.com", 587, username="u", password="p", starttls=True)
    mailer.send(composer.compose(content))
"""

from meetlink.adapters.mail.composer import JinjaMailComposer
from meetlink.adapters.mail.senders import DirectoryMailer, RecordingMailer, SmtpMailer

__all__ = ["DirectoryMailer", "JinjaMailComposer", "RecordingMailer", "SmtpMailer"]
