"""The Flask app of the web demo: the host's pages around meetlink's public API and the
ready-made OAuth callback and webhook routes
([`meetlink.integrations.flask`][meetlink.integrations.flask]).

Sessions are Flask's signed cookie (``SameSite=Lax``: another site's form cannot act as the
signed-in user) holding only the demo user's id and the language. No page ever shows a
token, a client or webhook secret, or a host start URL: "start meeting" is a POST whose
answer redirects the owner's browser to a freshly fetched start URL (S2).
"""

from __future__ import annotations

import re
import secrets
from typing import Any, NoReturn, cast
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, redirect, render_template, request, session
from werkzeug.wrappers import Response

from meetlink.integrations.flask import blueprint

from .i18n import LANGUAGES, Translator, preferred_language
from .runtime import TENANT, USERS, DemoUser, WebDemo, user_by_id

__all__ = [
    "create_app",
    "demo",
    "fail",
    "go",
    "note",
    "page",
    "require_admin",
    "signed_in",
    "to_local_path",
    "unconfirmed",
]

_EXTENSION = "meetlink_webdemo"


def create_app(web_demo: WebDemo) -> Flask:
    """The app over a running [`WebDemo`][meetlink.webdemo.runtime.WebDemo]."""
    from . import views_account, views_events, views_inbox, views_operator

    app = Flask(__name__)
    app.secret_key = secrets.token_hex(32)  # new every start, like the demo's database
    app.config.update(SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_HTTPONLY=True)
    app.extensions[_EXTENSION] = web_demo
    # GET /meetlink/<provider>/callback and POST /meetlink/<provider>/webhook.
    app.register_blueprint(
        blueprint(
            web_demo.meetlink,
            current_user=lambda _request: (TENANT, signed_in().id),
            redirect_to="/settings",
        )
    )
    # The organisation link comes back to the same callback route: told apart by its state.
    app.before_request(views_account.organisation_callback)
    for module in (views_account, views_events, views_inbox, views_operator):
        app.register_blueprint(module.bp)
    app.context_processor(_page_context)
    app.add_template_filter(lambda value: translator().when(value), "when")
    app.register_error_handler(403, _error_page)
    app.register_error_handler(404, _error_page)
    app.register_error_handler(500, _error_page)
    app.after_request(_protect)
    return app


#: No script, no plugin, no framing by another site; styles inline (the layout's own); the
#: mail viewer's sandboxed ``srcdoc`` frame and images of this site only.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' data:; "
    "frame-src 'self'; base-uri 'none'; frame-ancestors 'none'"
)


def _protect(response: Response) -> Response:
    """Every answer: the content security policy and no framing (clickjacking)."""
    response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    response.headers.setdefault("X-Frame-Options", "DENY")
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    return response


def demo() -> WebDemo:
    """The running demo this request belongs to."""
    return cast(WebDemo, current_app.extensions[_EXTENSION])


def signed_in() -> DemoUser:
    """The user chosen with the switcher (alice until another is chosen)."""
    return user_by_id(session.get("user")) or USERS[0]


def require_admin() -> DemoUser:
    """The signed-in user, who must be the admin (403 otherwise)."""
    user = signed_in()
    if not user.admin:
        abort(403)
    return user


def language() -> str:
    """The chosen language, else the browser's preference."""
    chosen = session.get("lang")
    if chosen in LANGUAGES:
        return str(chosen)
    return preferred_language(request.headers.get("Accept-Language", ""))


def translator() -> Translator:
    """The current language's translator."""
    return Translator(language())


def note(key: str, kind: str = "info", **params: Any) -> None:
    """A message for the next page, translated there (``key`` is its English text with
    ``{name}`` placeholders)."""
    notes = list(session.get("notes", []))
    notes.append([kind, key, {k: v if isinstance(v, int) else str(v) for k, v in params.items()}])
    session["notes"] = notes[-5:]


def page(template: str, title: str, status: int = 200, **context: Any) -> tuple[str, int]:
    """A page in the layout; ``title`` is an English key, translated."""
    return render_template(template, title_key=title, **context), status


#: What browsers strip, drop or turn into a slash in a URL; never in a path of this site.
_REWRITTEN = re.compile(r"[\x00-\x20\x7f\\]")


def to_local_path(target: str | None, default: str = "/") -> str:
    """``target`` when it is a path on this site, else ``default`` (no open redirect).

    Parsed, not string-checked: no scheme, no authority, a path starting with exactly one
    slash. Characters a browser rewrites before it follows a Location (WHATWG URL: C0
    controls and spaces stripped at the ends, tabs and newlines removed anywhere, a
    backslash read as a slash) are refused outright, so what is checked here is what the
    browser follows: ``/\t/evil.example`` would become ``//evil.example``."""
    if not target or _REWRITTEN.search(target):
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return default
    if parts.path.startswith("//"):
        return default
    return target


def unconfirmed(question: str, button: str, back: str, **params: Any) -> Any | None:
    """None when the form was confirmed; else the page asking ``question`` (a message key
    with ``params``), whose ``button`` posts the same form again, confirmed. Nothing that
    cannot be undone happens on one click."""
    if request.form.get("confirmed") == "yes":
        return None
    fields = [(k, v) for k, v in request.form.items(multi=True) if k != "confirmed"]
    return page(
        "confirm.html",
        "Are you sure?",
        question=(question, params),
        button=button,
        action=request.path,
        fields=fields,
        back=to_local_path(back),
    )


def go(target: str) -> Response:
    """A 303 to a page of this site."""
    return redirect(to_local_path(target), code=303)


def fail(status: int, key: str, **params: Any) -> NoReturn:
    """Stop with an error page saying ``key`` (translated)."""
    abort(
        Response(
            render_template("error.html", title_key="Not possible", message=(key, params)),
            status=status,
            mimetype="text/html",
        )
    )


def _page_context() -> dict[str, Any]:
    web = demo()
    tr = translator()
    notes = session.pop("notes", [])
    return {
        "_": tr.gettext,
        "say": tr.say,
        "lang": tr.language,
        "languages": LANGUAGES,
        "me": signed_in(),
        "users": USERS,
        "notes": [(kind, tr.say(key, params)) for kind, key, params in notes],
        "demo_now": web.clock.now(),
        "travelled": web.clock.offset,
        "worker_interval": web.worker_interval,
        "here": request.full_path.rstrip("?") if request else "/",
    }


def _error_page(error: Any) -> tuple[str, int]:
    status = int(getattr(error, "code", 500) or 500)
    key = {
        403: "Only the admin can open this page.",
        500: "Something went wrong on this page. Go back and try again.",
    }.get(status, "There is no such page.")
    return render_template("error.html", title_key="Not possible", message=(key, {})), status
