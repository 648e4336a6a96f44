"""save_event with issuance: meetlink vs a hand-written baseline doing the same SQL and the
same Zoom calls (SQLite file, in-process emulator, zero latency). Prints the ratio.

    .venv/bin/python bench/bench_save_event.py [N]
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import sqlite3
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlencode

import httpx

from meetlink.app.mailing import content_to_payload
from meetlink.domain.notification import MailKind
from meetlink.ports.mailer import MailContent

sys.path.insert(0, str(Path(__file__).parent))
from _common import T0, build, event


def meetlink_run(n: int, directory: Path) -> float:
    ml, zoom, _ = build(directory / "ml.sqlite")
    start = T0 + timedelta(days=1)
    t = time.perf_counter()
    for i in range(n):
        ml.save_event(event(i, start))
    elapsed = time.perf_counter() - t
    assert len(zoom.meetings()) == n
    ml.close()
    return elapsed


def baseline_run(n: int, directory: Path) -> float:
    """The same work written by hand: store the event, an intent row and a job, POST the
    meeting, store the URL and queue the participants' mails (content rows, composed later
    as meetlink does), in two transactions."""
    _, zoom, _ = build(directory / "seed.sqlite")
    user = zoom.add_user("bob@example.com")
    db = sqlite3.connect(directory / "baseline.sqlite", isolation_level=None)
    db.execute("PRAGMA journal_mode=WAL")
    db.executescript(
        "CREATE TABLE ev(id TEXT PRIMARY KEY, title TEXT, start TEXT, end TEXT, body TEXT);"
        "CREATE TABLE conf(event_id TEXT PRIMARY KEY, meeting_id TEXT, join_url TEXT, status TEXT);"
        "CREATE TABLE job(id INTEGER PRIMARY KEY, kind TEXT, key TEXT, payload TEXT);"
    )
    # a token for the user, the way the adapter gets one

    verifier = secrets.token_urlsafe(64)
    challenge = (
        base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    )
    url = "https://zoom.us/oauth/authorize?" + urlencode(
        {
            "response_type": "code",
            "client_id": zoom.client_id,
            "redirect_uri": zoom.redirect_uri,
            "state": "s",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    code = zoom.consent(url, user)["code"]
    client = httpx.Client(transport=zoom.transport())
    token = client.post(
        "https://zoom.us/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": zoom.redirect_uri,
            "code_verifier": verifier,
        },
        auth=(zoom.client_id, zoom.client_secret),
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    start = T0 + timedelta(days=1)
    t = time.perf_counter()
    for i in range(n):
        e = event(i, start)
        db.execute("BEGIN IMMEDIATE")
        db.execute(
            "INSERT INTO ev VALUES (?,?,?,?,?)",
            (e.id, e.title, e.start.isoformat(), e.end.isoformat(), ""),
        )
        db.execute("INSERT INTO conf VALUES (?,?,?,?)", (e.id, None, None, "pending"))
        db.execute("INSERT INTO job(kind, key, payload) VALUES ('sync', ?, '{}')", (e.id,))
        db.execute("COMMIT")
        r = client.post(
            "https://api.zoom.us/v2/users/me/meetings",
            headers=headers,
            json={
                "topic": e.title,
                "type": 2,
                "start_time": e.start.strftime("%Y-%m-%dT%H:%M:%SZ"),
                "duration": 30,
                "timezone": e.timezone,
                "agenda": "[meetlink:x]",
                "password": "abc123",
            },
        )
        body = r.json()
        db.execute("BEGIN IMMEDIATE")
        db.execute(
            "UPDATE conf SET meeting_id=?, join_url=?, status='issued' WHERE event_id=?",
            (str(body["id"]), body["join_url"], e.id),
        )
        db.execute("DELETE FROM job WHERE kind='sync' AND key=?", (e.id,))
        for p in e.participants:
            content = _content(e, p, body["join_url"], body["password"])
            db.execute(
                "INSERT INTO job(kind, key, payload) VALUES ('mail', ?, ?)",
                (p.email, json.dumps(content_to_payload(content))),
            )
        db.execute("COMMIT")
    elapsed = time.perf_counter() - t
    client.close()
    return elapsed


def _content(e, p, join_url: str, passcode: str) -> MailContent:  # type: ignore[no-untyped-def]
    return MailContent(
        kind=MailKind.INVITATION,
        to_email=p.email,
        to_name=p.name,
        locale=p.locale,
        event_id=e.id,
        uid=f"{e.id}@t1.meetlink",
        sequence=0,
        title=e.title,
        start=e.start,
        end=e.end,
        timezone=e.timezone,
        description="",
        provider_name="Zoom",
        join_url=join_url,
        passcode=passcode,
        organizer_email="no-reply@example.com",
        organizer_name="x",
        attendee_emails=tuple(q.email for q in e.participants),
        message_id=f"<{e.id}.{p.email}>",
        created_at=T0,
    )


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 200
    with tempfile.TemporaryDirectory() as d:
        directory = Path(d)
        # warm-up, then alternate to share the machine's noise
        (directory / "warm").mkdir()
        meetlink_run(20, directory / "warm")
        results = {"meetlink": [], "baseline": []}
        for round_ in range(3):
            sub = directory / f"r{round_}"
            sub.mkdir()
            results["baseline"].append(baseline_run(n, sub))
            results["meetlink"].append(meetlink_run(n, sub))
    ml = min(results["meetlink"]) / n * 1000
    base = min(results["baseline"]) / n * 1000
    print(f"save_event with issuance, {n} events, best of 3 (ms per event)")
    print(f"  meetlink : {ml:.2f} ms")
    print(f"  baseline : {base:.2f} ms  (same SQL rows + same Zoom calls, hand-written)")
    print(f"  ratio    : {ml / base:.2f}x  (target <= 1.3x)")


if __name__ == "__main__":
    main()
