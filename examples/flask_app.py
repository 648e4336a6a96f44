"""A complete Flask host for meetlink: sign in (a demo form, not real authentication), start
the add-on trial, link Zoom, create events with a meeting URL, start and delete them.

Run it against the Zoom emulator (no Zoom account needed)::

    pip install -e ".[flask]"                    # in a clone of meetlink (docs/quickstart.md)
    meetlink emulator --port 9000 --user alice@example.com \\
        --redirect-uri http://127.0.0.1:8000/meetlink/zoom/callback \\
        --webhook-url http://127.0.0.1:8000/meetlink/zoom/webhook
    # copy client_id, client_secret and webhook_secret from its first line:
    export ZOOM_CLIENT_ID=... ZOOM_CLIENT_SECRET=... ZOOM_WEBHOOK_SECRET=...
    export ZOOM_BASE_URL=http://127.0.0.1:9000 MEETLINK_KEY=$(meetlink keygen)
    meetlink migrate sqlite:///example.db
    flask --app flask_app run --port 8000        # then open http://127.0.0.1:8000
    meetlink worker --app flask_app:build_meetlink   # mail, retries, reminders

Against real Zoom, leave ZOOM_BASE_URL unset and use your Marketplace app's values
(docs/zoom-app-setup.md). Settings come from the environment (see ``build_meetlink``).
The host's own data (its events) lives in a dict here; a real host has its own tables.

Every request works in the signed-in user's tenant only: ``meetlink.tenant(tenant)`` is the
handle for it, and the host's own events are keyed by ``(tenant, event id)`` too, so a user
of one company never reads, starts or deletes another company's event, even with the same
ids. Every page is a Jinja2 template (autoescaped): nothing the browser sent is written
into HTML unescaped.
"""

from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask, abort, redirect, render_template_string, request, session, url_for
from markupsafe import Markup

from meetlink import Event, MeetLink, MeetLinkError, Participant, TenantMeetLink
from meetlink.adapters.mail import DirectoryMailer, SmtpMailer
from meetlink.adapters.sqlalchemy import SqlStorage
from meetlink.adapters.zoom import ZoomProvider
from meetlink.integrations.endpoints import REASONS
from meetlink.integrations.flask import blueprint

TIMEZONE = "Asia/Tokyo"


def build_meetlink() -> MeetLink:
    """The composition root, shared by the web app and ``meetlink worker``."""
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
        storage=SqlStorage(
            env.get("DATABASE_URL", "sqlite:///example.db"),
            encryption_keys=env["MEETLINK_KEY"].split(","),
        ),
        providers=[zoom],
        mailer=mailer,
        mail_from=env.get("MAIL_FROM", "Example Calendar <calendar@example.com>"),
    )


PAGE = """<!doctype html><title>Example calendar</title>
<p>{% if user %}Signed in as {{ user[1] }} ({{ user[0] }})
  <form method=post action="{{ url_for('logout') }}"><button>Sign out</button></form>
{% endif %}</p>
{% if message %}<p><strong>{{ message }}</strong></p>{% endif %}
{{ body }}"""

ERROR = "<p>{{ error }}</p>"


def create_app(meetlink: MeetLink | None = None) -> Flask:
    """The Flask app (``flask --app flask_app run``)."""
    meetlink = meetlink or build_meetlink()
    app = Flask(__name__)
    app.secret_key = os.environ.get("FLASK_SECRET_KEY", "dev only: set FLASK_SECRET_KEY")
    # The host's own event table, keyed by (tenant, event id) like meetlink's.
    events: dict[tuple[str, str], Event] = {}

    def signed_in(request: Any = None) -> tuple[str, str] | None:
        user = session.get("user")
        return (user[0], user[1]) if user else None

    # The OAuth callback and the Zoom webhook: GET/POST /meetlink/zoom/callback|webhook.
    app.register_blueprint(blueprint(meetlink, current_user=signed_in, redirect_to="/settings"))

    def page(template: str, message: str = "", **context: Any) -> str:
        """``template`` rendered (autoescaped) inside the page: values go in ``context``,
        never into the template text."""
        body = Markup(render_template_string(template, **context))  # escaped as rendered
        return render_template_string(PAGE, user=signed_in(), message=message, body=body)

    def user_or_login() -> tuple[TenantMeetLink, str]:
        """The signed-in user's tenant handle and user id (else back to sign in)."""
        user = signed_in()
        if user is None:
            abort(redirect(url_for("home")))
        return meetlink.tenant(user[0]), user[1]

    @app.get("/")
    def home() -> Any:
        if signed_in():
            return redirect(url_for("settings"))
        return page(
            "<form method=post action='{{ url_for('login') }}'>Company <input name=tenant "
            "value=acme> User <input name=user value=alice><button>Sign in</button></form>"
        )

    @app.post("/login")
    def login() -> Any:
        session["user"] = [request.form["tenant"], request.form["user"]]
        return redirect(url_for("settings"))

    @app.post("/logout")
    def logout() -> Any:
        session.clear()
        return redirect(url_for("home"))

    @app.get("/settings")
    def settings() -> Any:
        tenant, user = user_or_login()
        outcome = request.args.get("meetlink")
        subscription = tenant.subscription()
        return page(
            """<h1>Settings</h1>
<p>Web conference add-on: {{ state }}
{% if not active %}<form method=post action="{{ url_for('trial') }}">
<button>Start the free trial</button></form>{% endif %}</p>
<p>Zoom: {% if link %}linked to {{ link.email }} ({{ link.plan }})
<form method=post action="{{ url_for('unlink') }}"><button>Unlink Zoom</button></form>
{% else %}not linked
<form method=post action="{{ url_for('link_zoom') }}"><button>Link with Zoom</button></form>
{% endif %}</p><p><a href="{{ url_for('new_event') }}">New event</a></p>""",
            REASONS.get(outcome, "") if outcome else "",
            state=subscription.state.value,
            active=subscription.active,
            link=tenant.link(user),
        )

    @app.post("/settings/trial")
    def trial() -> Any:
        tenant, _ = user_or_login()
        try:
            tenant.start_trial()
        except MeetLinkError as exc:
            return page(ERROR, error=str(exc)), 409
        return redirect(url_for("settings"))

    @app.post("/settings/link")
    def link_zoom() -> Any:
        tenant, user = user_or_login()
        try:
            link_request = tenant.begin_link(user, "zoom")
        except MeetLinkError as exc:  # AddonInactive: start the trial first
            return page(ERROR, error=str(exc)), 409
        return redirect(link_request.authorize_url)

    @app.post("/settings/unlink")
    def unlink() -> Any:
        tenant, user = user_or_login()
        tenant.unlink(user)
        return redirect(url_for("settings"))

    @app.route("/events/new", methods=["GET", "POST"])
    def new_event() -> Any:
        tenant, user = user_or_login()
        if request.method == "GET":
            return page(
                """<h1>New event</h1><form method=post>
Id <input name=event_id placeholder="(a new id)"> Title <input name=title required>
Start <input type=datetime-local name=start required>
Minutes <input name=minutes value=30> Participants <input name=participants
placeholder="bob@example.com, carol@example.com">
{% if offer %}<label><input type=checkbox name=web_meeting value=zoom checked>
Issue a Zoom URL</label>{% endif %}<button>Save</button></form>""",
                offer=tenant.web_meeting_available(user),
            )
        try:
            start = datetime.fromisoformat(request.form["start"]).replace(tzinfo=ZoneInfo(TIMEZONE))
            minutes = int(request.form.get("minutes") or 30)
            emails = [e.strip() for e in request.form.get("participants", "").split(",")]
            event = Event(
                id=request.form.get("event_id") or uuid.uuid4().hex,
                tenant_id=tenant.tenant_id,
                owner_id=user,
                title=request.form["title"],
                start=start,
                end=start + timedelta(minutes=minutes),
                timezone=TIMEZONE,
                participants=tuple(Participant(email=e, locale="en") for e in emails if e),
                web_meeting=request.form.get("web_meeting") or None,
            )
            result = tenant.save_event(event)
        except (MeetLinkError, ValueError) as exc:  # InvalidEvent names the field
            return page(ERROR, error=str(exc)), 400
        events[(tenant.tenant_id, event.id)] = event
        why = ", ".join(r.value for r in result.refusals)
        return redirect(url_for("show_event", event_id=event.id, refused=why or None))

    @app.get("/events/<event_id>")
    def show_event(event_id: str) -> Any:
        tenant, _ = user_or_login()
        event = events.get((tenant.tenant_id, event_id)) or abort(404)
        return page(
            """<h1>{{ event.title }}</h1><p>{{ event.start }}</p>
{% if conference %}<p>Zoom: {{ conference.status.value }}
{% if conference.join_url %}
<a id=join href="{{ conference.join_url }}">{{ conference.join_url }}</a>
passcode {{ conference.passcode }}{% endif %}</p>
<form method=post action="{{ url_for('start', event_id=event.id) }}"><button>Start meeting
</button></form>{% endif %}
{% if refused %}<p>No URL: {{ refused }}</p>{% endif %}
<form method=post action="{{ url_for('delete', event_id=event.id) }}"><button>Delete</button>
</form>""",
            event=event,
            conference=tenant.conference(event_id),
            refused=request.args.get("refused"),
        )

    @app.post("/events/<event_id>/start")
    def start(event_id: str) -> Any:
        tenant, user = user_or_login()
        try:
            return redirect(tenant.start_url(event_id, user))  # never stored, never mailed
        except MeetLinkError as exc:  # NotMeetingHost, NoConference, UnknownEvent
            return page(ERROR, error=str(exc)), 403

    @app.post("/events/<event_id>/delete")
    def delete(event_id: str) -> Any:
        tenant, user = user_or_login()
        if (tenant.tenant_id, event_id) not in events:
            abort(404)
        tenant.delete_event(event_id, actor_id=user)
        events.pop((tenant.tenant_id, event_id), None)
        return redirect(url_for("settings"))

    return app
