"""Tenants never see each other: three tenants share the same user ids and event ids and do
anything in any order (link, relink, take an account over from another tenant, unlink, Remove
App at the provider, save, edit, untick, delete, start, retry, run the workers, time passing).
Against a model of who holds which provider account and which events each tenant has:

- a tenant's ``link``/``web_meeting_available`` show that tenant's user's own link, never
  another tenant's user with the same id;
- a tenant's conference, join URL and start URL belong to that tenant's event (each meeting
  the provider made is named after the tenant and event it was made for);
- every mail goes to the participants of the event it is about, in that event's tenant, and
  carries only that event's title and join URLs (never another tenant's, never a start URL);
- one provider account is held by one (tenant, user) at a time (S7-S9), across tenants.
"""

from __future__ import annotations

import re
from datetime import timedelta
from email.message import EmailMessage

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from meetlink import Event, NoConference, NotMeetingHost, Participant, Refusal, UnknownEvent
from meetlink.adapters.sqlalchemy import SqlStorage, generate_key
from meetlink.ports.provider import Meeting, MeetingRequest
from meetlink.ports.storage import Storage
from tests.app.conftest import make_world

TENANTS = ("acme", "beta", "corp")
USERS = ("u1", "u2")
EVENTS = ("e1", "e2")
ACCOUNTS = ("zoom-a", "zoom-b", "zoom-c")
_GUEST = re.compile(r"^guest-(?P<tenant>\w+)-(?P<event>\w+)@guests\.example$")
_JOIN = re.compile(r"https://fake\.invalid/j/[0-9]+")


def guest(tenant: str, event_id: str) -> str:
    """The one participant of a tenant's event: the address names both."""
    return f"guest-{tenant}-{event_id}@guests.example"


def text_of(mail: EmailMessage) -> str:
    """Every text part of a mail (plain, HTML, iCalendar with its long lines unfolded)."""
    parts = (
        str(part.get_content()) for part in mail.walk() if part.get_content_maintype() == "text"
    )
    return re.sub(r"\r?\n[ \t]", "", "\n".join(parts))


class TenantIsolation(RuleBasedStateMachine):
    def make_storage(self) -> Storage | None:
        """In-memory storage (None); the SQL variant below overrides this."""
        return None

    def __init__(self) -> None:
        super().__init__()
        self.w = make_world(storage=self.make_storage())
        self.ml = self.w.meetlink
        for tenant in TENANTS:
            self.ml.contract(tenant)
        self.accounts = {name: self.w.zoom.add_account(f"{name}@corp.example") for name in ACCOUNTS}
        self.names = {account.id: name for name, account in self.accounts.items()}
        self.holder: dict[str, tuple[str, str]] = {}  # account -> (tenant, user) linked to it
        self.events: dict[tuple[str, str], Event] = {}
        self.edits = 0
        self.mailed = 0
        # Every meeting the provider made, by join URL: the (tenant, event) its topic names.
        self.made: dict[str, tuple[str, str]] = {}
        create = self.w.zoom.create_meeting

        def recording_create(access_token: str, request: MeetingRequest) -> Meeting:
            meeting = create(access_token, request)
            tenant, event_id, _ = request.terms.topic.split("/")
            self.made[meeting.join_url.split("?")[0]] = (tenant, event_id)
            return meeting

        self.w.zoom.create_meeting = recording_create  # type: ignore[method-assign]

    # -- the model ---------------------------------------------------------------------

    def account_of(self, tenant: str, user: str) -> str | None:
        return next((a for a, who in self.holder.items() if who == (tenant, user)), None)

    def belongs(self, url: str | None, tenant: str, event_id: str) -> bool:
        return url is None or self.made.get(url.split("?")[0]) == (tenant, event_id)

    # -- linking -----------------------------------------------------------------------

    @rule(
        tenant=st.sampled_from(TENANTS),
        user=st.sampled_from(USERS),
        account=st.sampled_from(ACCOUNTS),
    )
    def link(self, tenant: str, user: str, account: str) -> None:
        """Link an account; one held by anyone else (this tenant or another) moves (S9)."""
        self.w.clock.advance(timedelta(seconds=1))
        made = self.w.link(user, self.accounts[account], tenant)
        assert (made.tenant_id, made.user_id) == (tenant, user)
        before = self.account_of(tenant, user)
        if before is not None:
            del self.holder[before]
        self.holder[account] = (tenant, user)

    @rule(tenant=st.sampled_from(TENANTS), user=st.sampled_from(USERS))
    def unlink(self, tenant: str, user: str) -> None:
        held = self.account_of(tenant, user)
        assert self.ml.unlink(user, tenant_id=tenant) is (held is not None)
        if held is not None:
            del self.holder[held]

    @rule(account=st.sampled_from(ACCOUNTS))
    def remove_app_at_the_provider(self, account: str) -> None:
        """Zoom's deauthorization webhook ends the link of whichever tenant holds it."""
        self.w.clock.advance(timedelta(seconds=1))  # a new delivery, not a replay
        headers, body = self.w.zoom.deauthorization(self.accounts[account])
        assert self.ml.handle_webhook("zoom", headers, body).status == 200
        self.w.zoom.revoke_account(self.accounts[account])  # Zoom revokes the app's grants
        self.holder.pop(account, None)

    # -- events ------------------------------------------------------------------------

    @rule(
        tenant=st.sampled_from(TENANTS),
        event_id=st.sampled_from(EVENTS),
        owner=st.sampled_from(USERS),
        ticked=st.booleans(),
        hours=st.integers(min_value=1, max_value=48),
    )
    def save(self, tenant: str, event_id: str, owner: str, ticked: bool, hours: int) -> None:
        """Save or edit a tenant's event (its title names tenant, event and edit)."""
        self.edits += 1
        start = self.w.clock.now() + timedelta(hours=hours)
        event = Event(
            event_id,
            tenant,
            owner,
            f"{tenant}/{event_id}/v{self.edits}",
            start,
            start + timedelta(minutes=30),
            participants=(Participant(guest(tenant, event_id)),),
            web_meeting="zoom" if ticked else None,
        )
        result = self.ml.save_event(event)
        self.events[(tenant, event_id)] = event
        conference = result.conference
        if conference is not None:
            assert (conference.tenant_id, conference.event_id) == (tenant, event_id)
            assert self.belongs(conference.join_url, tenant, event_id), conference
        elif ticked and self.account_of(tenant, owner) is None:
            assert Refusal.NOT_LINKED in result.refusals  # never another tenant's link

    @rule(tenant=st.sampled_from(TENANTS), event_id=st.sampled_from(EVENTS))
    def delete(self, tenant: str, event_id: str) -> None:
        known = self.events.pop((tenant, event_id), None) is not None
        assert self.ml.delete_event(event_id, tenant_id=tenant, actor_id="u1") is known

    @rule(
        tenant=st.sampled_from(TENANTS),
        event_id=st.sampled_from(EVENTS),
        user=st.sampled_from(USERS),
    )
    def start(self, tenant: str, event_id: str, user: str) -> None:
        """A start URL only for the owner of the tenant's event whose link holds the
        meeting's account, and only for that event's meeting."""
        event = self.events.get((tenant, event_id))
        try:
            url = self.ml.start_url(event_id, user, tenant_id=tenant)
        except UnknownEvent:
            assert event is None
            return
        except (NotMeetingHost, NoConference):
            assert event is not None
            return
        assert event is not None and event.owner_id == user
        conference = self.ml.conference(event_id, tenant_id=tenant)
        assert conference is not None and conference.meeting_id is not None
        assert url.startswith(f"https://fake.invalid/s/{conference.meeting_id}?")
        account = self.names[conference.external_account_id]
        assert self.holder.get(account) == (tenant, user)

    @rule(tenant=st.sampled_from(TENANTS), event_id=st.sampled_from(EVENTS))
    def retry(self, tenant: str, event_id: str) -> None:
        try:
            conference = self.ml.retry(event_id, tenant_id=tenant)
        except UnknownEvent:
            assert (tenant, event_id) not in self.events
            return
        assert (tenant, event_id) in self.events
        if conference is not None:
            assert (conference.tenant_id, conference.event_id) == (tenant, event_id)
            assert self.belongs(conference.join_url, tenant, event_id)

    @rule(minutes=st.integers(min_value=0, max_value=20))
    def workers_run(self, minutes: int) -> None:
        self.w.clock.advance(timedelta(minutes=minutes))
        self.ml.run_pending()
        self.ml.send_due_reminders()
        self.ml.run_pending()

    # -- what each tenant sees ---------------------------------------------------------

    @invariant()
    def each_tenant_sees_its_own_users_links(self) -> None:
        for tenant in TENANTS:
            for user in USERS:
                held = self.account_of(tenant, user)
                link = self.ml.link(user, tenant_id=tenant)
                if held is None:
                    assert link is None, (tenant, user, link)
                else:
                    assert link is not None, (tenant, user)
                    assert (link.tenant_id, link.user_id) == (tenant, user)
                    assert link.external_account_id == self.accounts[held].id
                assert self.ml.web_meeting_available(tenant, user) is (held is not None)

    @invariant()
    def each_tenant_sees_its_own_events_and_urls(self) -> None:
        for tenant in TENANTS:
            for event_id in EVENTS:
                event = self.events.get((tenant, event_id))
                assert self.ml.event(event_id, tenant_id=tenant) == event
                conference = self.ml.conference(event_id, tenant_id=tenant)
                if event is None:
                    assert conference is None
                    continue
                if conference is not None:
                    assert (conference.tenant_id, conference.event_id) == (tenant, event_id)
                    assert self.belongs(conference.join_url, tenant, event_id), conference

    @invariant()
    def every_mail_stays_in_its_tenant(self) -> None:
        outbox = self.w.mailer.outbox
        for mail in outbox[self.mailed :]:
            to = mail["To"].addresses[0].addr_spec
            found = _GUEST.match(to)
            assert found is not None, to
            tenant, event_id = found["tenant"], found["event"]
            text = text_of(mail)
            assert f"{tenant}/{event_id}/v" in text  # the event's own title
            for other in TENANTS:
                if other != tenant:
                    assert f"{other}/" not in text, (to, other)
            assert "fake.invalid/s/" not in text  # a start URL never goes out by mail
            for url in _JOIN.findall(text):
                assert self.made.get(url) == (tenant, event_id), (to, url)
        self.mailed = len(outbox)

    @invariant()
    def one_holder_per_account(self) -> None:
        for name, account in self.accounts.items():
            holders = [
                (tenant, user)
                for tenant in TENANTS
                for user in USERS
                if (link := self.ml.link(user, tenant_id=tenant)) is not None
                and link.external_account_id == account.id
            ]
            assert holders == ([self.holder[name]] if name in self.holder else []), name

    def teardown(self) -> None:
        self.ml.close()


TenantIsolation.TestCase.settings = settings(max_examples=40, stateful_step_count=30)
test_tenants_never_see_each_other = TenantIsolation.TestCase


class SqlTenantIsolation(TenantIsolation):
    """The same machine on SqlStorage (SQLite): the SQL keys hold the tenants apart too."""

    def make_storage(self) -> Storage | None:
        return SqlStorage("sqlite://", encryption_keys=[generate_key()], create_schema=True)


SqlTenantIsolation.TestCase.settings = settings(max_examples=12, stateful_step_count=25)
test_tenants_never_see_each_other_on_sql = SqlTenantIsolation.TestCase
