"""The composition root: the MeetLink that ``settings.MEETLINK["FACTORY"]`` names, made once
per process by meetlink's Django app (``get_meetlink()``), for the views and
``manage.py meetlink_worker`` alike."""

import os
from typing import Any

from meetlink import MeetLink
from meetlink.adapters.mail import DirectoryMailer, SmtpMailer
from meetlink.adapters.sqlalchemy import SqlStorage
from meetlink.adapters.zoom import ZoomProvider
from meetlink.integrations.django import database_url


def build_meetlink() -> MeetLink:
    """Zoom's settings from the environment; meetlink's tables in the project's database."""
    env = os.environ
    zoom_base = env.get("ZOOM_BASE_URL")  # the emulator; unset for real Zoom
    zoom = ZoomProvider(
        client_id=env["ZOOM_CLIENT_ID"],
        client_secret=env["ZOOM_CLIENT_SECRET"],
        redirect_uri=env.get("ZOOM_REDIRECT_URI", "http://127.0.0.1:8000/meetlink/zoom/callback"),
        webhook_secrets=[env["ZOOM_WEBHOOK_SECRET"]],
        **({"oauth_base_url": zoom_base, "api_base_url": zoom_base} if zoom_base else {}),
    )
    mailer: Any
    if env.get("SMTP_HOST"):
        mailer = SmtpMailer(env["SMTP_HOST"], int(env.get("SMTP_PORT", "25")))
    else:  # development: each mail becomes an .eml file
        mailer = DirectoryMailer(env.get("MAIL_DIR", "mail-out"))
    return MeetLink(
        storage=SqlStorage(database_url(), encryption_keys=env["MEETLINK_KEY"].split(",")),
        providers=[zoom],
        mailer=mailer,
        mail_from=env.get("MAIL_FROM", "Example Calendar <calendar@example.com>"),
    )
