"""The MeetLink facade: the one object a host product codes against (shared API contract)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from datetime import timedelta
from types import TracebackType
from typing import Any, Self, cast

from meetlink.app import holders
from meetlink.app.conferences import Conferences, SavePlan
from meetlink.app.context import AppContext
from meetlink.app.drift import CHECK_JOB, Drift
from meetlink.app.erasure import ERASE_JOB, Erasures
from meetlink.app.keepalive import KeepAlive
from meetlink.app.linking import Linking
from meetlink.app.mailing import MAIL_JOB, Mailing
from meetlink.app.moves import DELETE_JOB, SYNC_JOB, ConferenceMoves
from meetlink.app.organisation import Organisations
from meetlink.app.policies import Policies, event_allowed, tenant_policy
from meetlink.app.queue import BudgetGate, JobQueue
from meetlink.app.registry import ProviderRegistry
from meetlink.app.reminders import Reminders
from meetlink.app.runner import AskedAgain, JobRunner
from meetlink.app.settings import Settings
from meetlink.app.sync import Inline, MeetingSync
from meetlink.app.tenant import TenantMeetLink
from meetlink.app.tokens import TokenKeeper
from meetlink.app.validation import HeaderInput, checked, job_cursor
from meetlink.domain.budgets import Operation, RateBudget
from meetlink.domain.conference import Conference, ConferenceRecord, ConferenceStatus
from meetlink.domain.erasure import Erasure, account_key
from meetlink.domain.event import Event
from meetlink.domain.feed import feed_number
from meetlink.domain.issuance import IssuancePolicy, Notice
from meetlink.domain.links import AccountLink, DirectoryEntry, OrganisationLink
from meetlink.domain.records import EventRecord, Job, JobStatus
from meetlink.domain.results import HostEvent, HostNotice, LinkRequest, SaveResult, WebhookReply
from meetlink.domain.subscription import (
    Action,
    Subscription,
    SubscriptionRecord,
    apply,
    snapshot,
)
from meetlink.errors import (
    CredentialError,
    NoConference,
    NotMeetingHost,
    UnknownEvent,
)
from meetlink.ports.clock import Clock
from meetlink.ports.mailer import MailComposer, Mailer
from meetlink.ports.provider import VideoProvider
from meetlink.ports.storage import Storage, UnitOfWork

__all__ = ["MeetLink"]

#: What the jobs of each kind may ask of their provider: what they spend from its rate budget
#: when claimed (a sync job creates or updates; mail spends nothing).
JOB_OPERATIONS = {
    SYNC_JOB: frozenset({Operation.CREATE, Operation.UPDATE}),
    DELETE_JOB: frozenset({Operation.DELETE}),
    CHECK_JOB: frozenset({Operation.READ}),
}

log = logging.getLogger("meetlink")


class MeetLink:
    """The application's facade: every use case a host calls, over the ports it is given
    (storage, providers, mailer, composer, clock). Hosts make
    [`meetlink.MeetLink`][meetlink.compose.MeetLink], which supplies the default clock and
    mail composer (adapters the application layer does not import)."""

    def __init__(
        self,
        *,
        storage: Storage,
        providers: Mapping[str, VideoProvider] | Iterable[VideoProvider],
        mailer: Mailer,
        composer: MailComposer,
        clock: Clock,
        settings: Settings | None = None,
        listener: Callable[[HostNotice], None] | None = None,
        organizer: Callable[[str, str], tuple[str, str] | None] | None = None,
        **options: Any,
    ) -> None:
        self._ctx = AppContext(
            storage=storage,
            providers=ProviderRegistry(providers),
            mailer=mailer,
            composer=composer,
            clock=clock,
            settings=Settings.from_options(settings, **options),
            listener=listener,
            organizer_of=organizer,
        )
        settings = self._ctx.settings
        self._queue = JobQueue(
            settings.retry,
            settings.job_lease,
            BudgetGate(self._rate_budget, JOB_OPERATIONS),
        )
        self._mailing = Mailing(self._ctx)
        moves = ConferenceMoves(self._ctx, self._mailing, self._queue)
        self._tokens = TokenKeeper(self._ctx, moves)
        self._keepalive = KeepAlive(self._ctx, self._tokens)
        self._linking = Linking(self._ctx, moves)
        self._organisations = Organisations(self._ctx, self._linking, self._tokens)
        self._policies = Policies(self._ctx)
        asked_again = AskedAgain()
        self._conferences = Conferences(self._ctx, moves)
        self._reminders = Reminders(self._ctx, self._mailing)
        sync = self._sync = MeetingSync(self._ctx, self._tokens, moves, self._queue, asked_again)
        self._drift = Drift(self._ctx, moves, self._queue, self._tokens)
        self._linking.drift = self._drift
        self._erasures = Erasures(self._ctx, self._queue)
        self._linking.erasures = self._erasures
        self._runner = JobRunner(
            self._ctx,
            self._queue,
            {
                SYNC_JOB: sync.run_sync,
                DELETE_JOB: sync.run_delete,
                MAIL_JOB: self._deliver,
                CHECK_JOB: self._drift.run_check,
                ERASE_JOB: self._erasures.run,
            },
            {SYNC_JOB: sync.on_outcome},
            asked_again,
            batched=frozenset({MAIL_JOB}),
        )
        self._closed = False

    @property
    def settings(self) -> Settings:
        """The settings in force."""
        return self._ctx.settings

    @property
    def clock(self) -> Clock:
        """The clock this instance reads."""
        return self._ctx.clock

    def _rate_budget(self, provider: str) -> RateBudget | None:
        found = self._ctx.providers.find(provider)
        return None if found is None else found.capabilities.rate_budget

    @property
    def provider_keys(self) -> tuple[str, ...]:
        """The keys of the registered providers (e.g. ``("teams", "zoom")``)."""
        return self._ctx.providers.keys()

    @checked
    def tenant(self, tenant_id: str) -> TenantMeetLink:
        """This facade for one tenant: the same methods without the tenant argument (the
        tenant id is checked here, once). Saving another tenant's event through it raises
        InvalidEvent naming ``tenant_id``."""
        return TenantMeetLink(self, tenant_id)

    # -- add-on contract (S3-S5) ------------------------------------------------------

    def _subscription(self, tenant_id: str, action: Action | None) -> Subscription:
        now = self._ctx.clock.now()

        def work(uow: UnitOfWork) -> Subscription:
            record = uow.subscriptions.get(tenant_id) or SubscriptionRecord(tenant_id=tenant_id)
            if action is not None:
                record = apply(record, action, now, self._ctx.settings.trial_length)
                uow.subscriptions.put(record)
            return snapshot(record, now)

        return self._ctx.transaction(work)

    @checked
    def subscription(self, tenant_id: str) -> Subscription:
        """The tenant's add-on state now."""
        return self._subscription(tenant_id, None)

    @checked
    def start_trial(self, tenant_id: str) -> Subscription:
        """Start the 14-day trial (S4); a tenant gets one (else TrialUnavailable)."""
        return self._subscription(tenant_id, Action.START_TRIAL)

    @checked
    def contract(self, tenant_id: str) -> Subscription:
        """Contract the add-on (S5); idempotent."""
        return self._subscription(tenant_id, Action.CONTRACT)

    @checked
    def cancel_contract(self, tenant_id: str) -> Subscription:
        """End the contract (CONTRACTED -> CANCELLED, else InvalidTransition)."""
        return self._subscription(tenant_id, Action.CANCEL)

    # -- linking (S6-S10, S15, S16, S23, S24) ---------------------------------------------

    @checked
    def begin_link(self, tenant_id: str, user_id: str, provider: str = "zoom") -> LinkRequest:
        """The provider's authorization URL for this user (state + PKCE)."""
        return self._linking.begin(tenant_id, user_id, provider)

    @checked
    def complete_link(
        self,
        state: str,
        *,
        code: str | None = None,
        error: str | None = None,
        error_description: str | None = None,
        error_subcode: str | None = None,
        user_id: str,
        tenant_id: str,
    ) -> AccountLink:
        """Finish linking with the parameters the OAuth callback received (pass
        ``error_description``/``error_subcode`` too when present: Microsoft says there
        whether an administrator must approve the app). ``user_id``/``tenant_id``: who the
        host's session says is signed in; a state begun by anyone else raises
        InvalidLinkState and changes nothing (RFC 9700: the state is bound to the user)."""
        return self._linking.complete(
            state,
            code,
            error,
            error_description=error_description,
            error_subcode=error_subcode,
            user_id=user_id,
            tenant_id=tenant_id,
        )

    @checked
    def link(self, user_id: str, provider: str = "zoom", *, tenant_id: str) -> AccountLink | None:
        """The active link of the tenant's user (S10: "Web conference integration:
        enabled")."""
        record = self._ctx.read(lambda uow: uow.links.active_for_user(tenant_id, user_id, provider))
        return record.public() if record is not None else None

    @checked
    def unlink(self, user_id: str, provider: str = "zoom", *, tenant_id: str) -> bool:
        """Unlink the tenant's user (S15); False when there was nothing to unlink."""
        return self._linking.unlink(tenant_id, user_id, provider)

    # -- organisation links (docs/org-install.md) -------------------------------------------

    @checked
    def begin_org_link(
        self, provider: str = "zoom", *, tenant_id: str, admin_user_id: str
    ) -> LinkRequest:
        """The consent page of the provider's organisation app (Zoom: the admin-managed
        app), for the tenant's administrator ``admin_user_id`` (state + PKCE, like
        ``begin_link``). The host decides who may press it (its own admin role)."""
        return self._organisations.begin(tenant_id, admin_user_id, provider)

    @checked
    def complete_org_link(
        self,
        state: str,
        *,
        code: str | None = None,
        error: str | None = None,
        error_description: str | None = None,
        error_subcode: str | None = None,
        tenant: str | None = None,
        tenant_id: str,
        admin_user_id: str,
    ) -> OrganisationLink:
        """Finish the organisation link with its callback's parameters (Zoom: ``code``;
        Microsoft's admin consent: ``tenant``, and the admin must have linked their own
        account of that organisation first); the state is bound to the admin who began it.
        Replaces the tenant's previous organisation link; an organisation linked to another
        tenant moves here (S9)."""
        return self._organisations.complete(
            state,
            code,
            error,
            error_description=error_description,
            error_subcode=error_subcode,
            tenant=tenant,
            tenant_id=tenant_id,
            admin_user_id=admin_user_id,
        )

    @checked
    def org_link(self, provider: str = "zoom", *, tenant_id: str) -> OrganisationLink | None:
        """The tenant's active organisation link to ``provider``, or None."""
        return self._organisations.link(tenant_id, provider)

    @checked
    def unlink_org(self, provider: str = "zoom", *, tenant_id: str) -> bool:
        """End the tenant's organisation link (its grant revoked, best effort): the users it
        served lose their URLs as after an unlink (S15: issued ones DETACHED, pending work
        stops); their own links are untouched. False when there was none."""
        return self._organisations.unlink(tenant_id, provider)

    @checked
    def set_directory_address(
        self, user_id: str, address: str | None, provider: str = "zoom", *, tenant_id: str
    ) -> None:
        """The tenant's user's address in the provider's directory (Zoom: the email of
        their Zoom user; Microsoft: their UPN), for the tenant's organisation link; None
        forgets it. A user's own link, when present, wins over the organisation's."""
        self._organisations.set_address(tenant_id, user_id, provider, address)

    @checked
    def directory(self, provider: str = "zoom", *, tenant_id: str) -> list[DirectoryEntry]:
        """The tenant's users with a directory address for ``provider`` and what the
        organisation link found for each (the users it serves: ``found``)."""
        return self._organisations.directory(tenant_id, provider)

    @checked
    def handle_webhook(self, provider: str, headers: HeaderInput, body: bytes) -> WebhookReply:
        """Answer a provider webhook (signature checked; S16 deauthorization unlinks).
        ``headers``: a mapping, ASGI's byte pairs or a WSGI environ; ``body``: the raw bytes."""
        # ``checked`` has already turned the headers into {lower-case name: value}.
        return self._linking.webhook(provider, cast(dict[str, str], headers), body)

    # -- per-tenant issuance policy (R2, R3) ----------------------------------------------

    @checked
    def set_policy(self, tenant_id: str, policy: IssuancePolicy | None) -> None:
        """Store the tenant's own issuance policy (e.g. ``IssuancePolicy.roadmap()`` to turn
        R2/R3 on); None returns the tenant to the ``policy`` setting."""
        self._policies.set(tenant_id, policy)

    @checked
    def policy(self, tenant_id: str) -> IssuancePolicy:
        """The issuance policy in force for the tenant (its own, else the setting)."""
        return self._policies.get(tenant_id)

    # -- events (S1, S2, S11-S14, S17-S22) ------------------------------------------------

    @checked
    def web_meeting_available(
        self, tenant_id: str, user_id: str, provider: str = "zoom", *, event: Event | None = None
    ) -> bool:
        """Whether the event form shows the "Web conference" section (S11). With ``event``
        (the form's current values), also whether the tenant's policy lets that event get a
        URL (its span, recurrence and source: S17, S18, R2, R3)."""
        found = self._ctx.providers.find(provider)

        def work(uow: UnitOfWork) -> bool:
            if found is None or not self._linking.addon_active(uow, tenant_id):
                return False
            if holders.owner_link(uow, self._ctx.providers, tenant_id, user_id, provider) is None:
                return False  # a provider that needs no link needs none (S11)
            if event is None:
                return True
            return event_allowed(
                tenant_policy(uow, self._ctx, tenant_id), event, found.capabilities
            )

        return self._ctx.read(work)

    @checked
    def save_event(self, event: Event) -> SaveResult:
        """Create or update an event and make its meeting match it (S1, S11, S12, S17-S21).
        An event without a ``timezone`` and participants without a ``locale`` get the
        instance's ``default_timezone`` and ``default_locale``."""
        settings = self._ctx.settings
        inline = settings.sync_inline
        event = event.with_defaults(
            timezone=settings.default_timezone, locale=settings.default_locale
        )

        lookups = True  # an organisation's user looked up at most once, before the save

        def work(
            uow: UnitOfWork, out: list[HostNotice]
        ) -> tuple[SavePlan, list[Job], Inline | None, Conference | None]:
            plan = self._conferences.plan_save(uow, event, run_now=inline, lookups=lookups)
            out.extend(plan.host_notices)
            claimed = list(plan.claimed)
            if inline:  # the jobs not claimed as they were asked for (e.g. deletions)
                taken = {job.id for job in claimed}
                claimed += self._claim(uow, [j for j in plan.jobs if j.id not in taken])
            prepared = None
            if any(job.kind == SYNC_JOB for job in claimed) and plan.record and plan.conference:
                # The sync job's first pass (the intent of a create) commits with the event:
                # one unit of work fewer before the provider call.
                prepared = self._sync.prepare_inline(
                    uow, plan.record, plan.conference, plan.link, out
                )
            # Nothing runs after this unit of work: the conference is as it leaves it. (A job
            # a claim deferred was stored anew: read it then.)
            asked = () if inline else plan.jobs
            view = None if claimed else self._view(uow, plan.conference, asked)
            return plan, claimed, prepared, view

        try:
            plan, claimed, prepared, view = self._ctx.transaction_notifying(work)
        except holders.LookupFirst as due:  # rolled back: nothing was stored
            # An owner served by an organisation link: who they are at the provider, looked
            # up with no transaction open, then the save again (a failed lookup is logged
            # and the save goes on with what the directory holds).
            self._organisations.look_up(due.organisation, due.entry)
            lookups = False
            plan, claimed, prepared, view = self._ctx.transaction_notifying(work)
        settled = None
        for job in claimed:
            if job.kind != SYNC_JOB or prepared is None:
                self._runner.run_now(job, claimed=True)
                continue
            self._sync.expect(job.id, prepared)
            try:
                self._runner.run_now(job, claimed=True)
            finally:
                settled = self._sync.settled(job.id)
        if not claimed:
            conference = view
        elif settled is not None and settled.finished:
            # The unit of work that finished the job left this conference, with no work to
            # come: no need to read it back.
            stored = settled.conference
            conference = stored.public() if stored is not None else None
        else:
            conference = self.conference(event.id, tenant_id=event.tenant_id)
        refusals = plan.refusals
        if conference is None and event.web_meeting is not None and not refusals:
            # The inline attempt found the link gone (e.g. the grant was refused): say why.
            refusals = self._ctx.read(lambda uow: self._conferences.decide(uow, event)[0]).refusals
        notices = list(plan.notices)
        if conference is not None and conference.status is ConferenceStatus.PENDING:
            # A key problem is no provider delay: the provider was never called.
            unreadable = (conference.error or "").startswith(CredentialError.__name__)
            notices.append(Notice.CREDENTIALS_UNREADABLE if unreadable else Notice.PROVIDER_PENDING)
        return SaveResult(event.id, conference, refusals, tuple(dict.fromkeys(notices)))

    def _event(self, tenant_id: str, event_id: str) -> EventRecord:
        """The tenant's stored event; UnknownEvent when it has none with that id."""
        record = self._ctx.read(lambda uow: uow.events.get(tenant_id, event_id))
        if record is None:
            raise UnknownEvent(f"no event {event_id!r} in tenant {tenant_id!r}")
        return record

    @checked
    def retry(self, event_id: str, *, tenant_id: str) -> Conference | None:
        """Run the event's FAILED or PENDING conference work again now, inline like
        ``save_event`` (a wait the provider asked for is still honoured). An owner whom the
        organisation link did not find is looked up again first. UnknownEvent when the
        tenant has no event with that id."""
        event = self._event(tenant_id, event_id).event
        self._organisations.ask_again(tenant_id, event.owner_id, event.web_meeting)
        return self.save_event(event).conference

    @checked
    def delete_event(self, event_id: str, *, tenant_id: str, actor_id: str | None = None) -> bool:
        """Forget the tenant's event and delete its meeting, whoever deletes it (S19, S20).
        False when the tenant has no event with that id."""
        inline = self._ctx.settings.sync_inline

        def work(uow: UnitOfWork) -> tuple[bool, list[Job]]:
            found, jobs = self._conferences.delete_event(uow, tenant_id, event_id, actor_id)
            return found, self._claim(uow, jobs) if inline else []

        found, claimed = self._ctx.transaction(work)
        if found:
            log.info("event %s of %s deleted by %s", event_id, tenant_id, actor_id or "its owner")
        for job in claimed:
            self._runner.run_now(job, claimed=True)
        return found

    def _claim(self, uow: UnitOfWork, jobs: Iterable[Job]) -> list[Job]:
        """Claim the jobs a change just asked for, in the same transaction, to run them now."""
        now = self._ctx.clock.now()
        latest = {job.id: job for job in jobs}  # as asked last in this unit of work
        return [c for j in latest.values() if (c := self._queue.claim_asked(uow, j, now))]

    @staticmethod
    def _view(
        uow: UnitOfWork, conf: ConferenceRecord | None, asked: Iterable[Job]
    ) -> Conference | None:
        """The host's view of ``conf`` as this unit of work stores it: ``next_attempt_at``
        from its pending sync job (one just asked for, else the stored one)."""
        if conf is None:
            return None
        job = next((j for j in asked if j.kind == SYNC_JOB and j.key == conf.event_id), None)
        if job is None:
            job = uow.jobs.find(conf.tenant_id, SYNC_JOB, conf.event_id)
        waiting = job is not None and job.status is JobStatus.PENDING
        return conf.public(next_attempt_at=job.run_at if waiting and job else None)

    @checked
    def conference(self, event_id: str, *, tenant_id: str) -> Conference | None:
        """The conference of the tenant's event (S12), or None; ``next_attempt_at`` comes
        from its work."""
        return self._ctx.read(
            lambda uow: self._view(uow, uow.conferences.get(tenant_id, event_id), ())
        )

    @checked
    def event(self, event_id: str, *, tenant_id: str) -> Event | None:
        """The tenant's event as meetlink stored it, or None."""
        record = self._ctx.read(lambda uow: uow.events.get(tenant_id, event_id))
        return record.event if record is not None else None

    @checked
    def start_url(self, event_id: str, user_id: str, *, tenant_id: str) -> str:
        """A fresh host start URL, for the owner of the tenant's event only (S2), whose
        link holds the meeting's account. Never stored, never mailed. UnknownEvent when the
        tenant has no event with that id."""

        def work(uow: UnitOfWork) -> tuple[Any, Any, Any]:
            record, conf = uow.events.get_with_conference(tenant_id, event_id)
            holder = None
            if conf is not None:
                holder = holders.holder(
                    uow, self._ctx.providers, conf.provider, conf.external_account_id,
                    tenant_id=tenant_id,
                )  # fmt: skip
            return record, conf, holder

        record, conf, holder = self._ctx.read(work)
        if record is None:
            raise UnknownEvent(f"no event {event_id!r} in tenant {tenant_id!r}")
        if record.event.owner_id != user_id:
            raise NotMeetingHost("only the event's owner can start its meeting")
        if conf is None or conf.meeting_id is None:
            raise NoConference(f"event {event_id!r} has no issued meeting")
        if holder is None or holder.user_key != (tenant_id, user_id):
            raise NotMeetingHost("the meeting's account is not linked to this user")
        meeting_id: str = conf.meeting_id
        starts = self._ctx.providers.host_start(conf.provider)
        if starts is None:  # no separate host URL: the host joins like everyone
            join_url: str | None = conf.join_url
            if join_url is None:
                raise NoConference(f"event {event_id!r} has no issued meeting")
            return join_url
        return self._tokens.call(holder, lambda p, t: starts.start_url(t, meeting_id))

    @checked
    def send_due_reminders(self) -> int:
        """Queue one reminder per participant of each occurrence starting soon (S14, R2)."""
        return self._reminders.send_due()

    # -- background work ----------------------------------------------------------------

    @checked
    def run_pending(self, max_jobs: int | None = None) -> int:
        """Do all due work (provider retries, deletions, mail, and the keep-alive of links
        whose refresh token idled for ``token_keepalive``: looked for at most once a minute,
        at most ``max_jobs`` refreshes); returns jobs completed (refreshes are not jobs)."""
        self._keepalive.run(max_jobs, throttled=True)
        self._drift.plan_checks(throttled=True)
        return self._runner.run_pending(max_jobs)

    @checked
    def erasures(self, external_account_id: str, provider: str = "zoom") -> list[Erasure]:
        """The erasures the provider asked for of that account's data, oldest first, and when
        each happened (``erased_at``; None: still due at ``due_at``). The records hold no
        personal data: the account is known by a SHA-256 (docs/zoom-app-setup.md)."""
        key = account_key(provider, external_account_id)
        return self._ctx.read(lambda uow: uow.erasures.of_account(provider, key))

    @checked
    def check_meetings(self, max_meetings: int | None = None) -> int:
        """The meeting check now (``run_pending()`` runs it every ``meeting_check_every``):
        a ``check`` job for each issued meeting, on a provider that sends no meeting webhooks
        (Teams), of an event starting within ``meeting_check_window``; ``run_pending()`` runs
        them within the provider's rate budget, and a meeting deleted or moved at the
        provider is put back (docs/operations.md). Returns how many checks were asked for."""
        return self._drift.plan_checks(max_meetings)

    @checked
    def keep_alive(self, max_links: int | None = None) -> int:
        """Refresh the links whose refresh token has not been used for ``token_keepalive``
        (all, or at most ``max_links``), so that no link dies of the providers' idle expiry; a
        refused refresh ends the link (HostNoticeKind.LINK_BROKEN). Returns how many links
        were refreshed or ended. ``run_pending()`` does this too."""
        return self._keepalive.run(max_links)

    @checked
    def purge(self, keep: timedelta = timedelta(days=30)) -> int:
        """Maintenance: forget what no rule needs any more (returns rows removed): OAuth
        states that expired, webhook deliveries older than ``keep`` (a replay that old is
        refused by its timestamp anyway) and reminder records of event times older than
        ``keep``, and host events recorded longer ago than the ``host_event_retention``
        setting (default 30 days: a host reading the feed less often loses entries). Run it
        daily, for example."""
        now = self._ctx.clock.now()
        retention = self._ctx.settings.host_event_retention

        def work(uow: UnitOfWork) -> int:
            return (
                uow.auth_states.purge(now)
                + uow.webhooks.purge(now - keep)
                + uow.reminders.purge(now - keep)
                + uow.feed.purge(now - retention)
            )

        return self._ctx.transaction(work)

    @checked
    def events(
        self, *, tenant_id: str, after: str | None = None, limit: int = 100
    ) -> list[HostEvent]:
        """The tenant's host event feed, oldest first: up to ``limit`` events after the event
        whose ``id`` is ``after`` (None: from the oldest kept). Every event is recorded in the
        transaction of the change it reports, and ids grow in the order the events committed,
        so a host that passes the last id it processed misses nothing and sees nothing twice,
        however many processes write and read (docs/events.md). Events older than the
        ``host_event_retention`` setting are forgotten by ``purge()``."""
        number = 0 if after is None else feed_number(str(after))
        assert number is not None  # checked: a feed id
        found = self._ctx.read(lambda uow: uow.feed.after(tenant_id, number, limit))
        return [self._ctx.with_relink(event) for event in found]

    def _deliver(self, job: Job) -> None:
        self._mailing.deliver(job.payload)

    @checked
    def failed_jobs(self, *, limit: int = 100, after: Job | None = None) -> list[Job]:
        """Jobs that gave up (to show an operator), by ``(run_at, id)``: up to ``limit``,
        after the job ``after`` (pass the last one of a page to get the next page)."""
        cursor = job_cursor("after", after)
        return self._ctx.read(lambda uow: uow.jobs.page(JobStatus.FAILED, limit=limit,
                                                        after=cursor))  # fmt: skip

    @checked
    def pending_jobs(self, *, limit: int = 100, after: Job | None = None) -> list[Job]:
        """Jobs still to run (pending or running), paged like
        [`failed_jobs`][meetlink.app.facade.MeetLink.failed_jobs]."""
        cursor = job_cursor("after", after)

        def work(uow: UnitOfWork) -> list[Job]:
            found = [
                *uow.jobs.page(JobStatus.PENDING, limit=limit, after=cursor),
                *uow.jobs.page(JobStatus.RUNNING, limit=limit, after=cursor),
            ]
            return sorted(found, key=lambda job: (job.run_at, job.id))[:limit]

        return self._ctx.read(work)

    def close(self) -> None:
        """Release what this instance holds: the storage's connections and the providers'
        HTTP clients (a client the host passed to a provider stays open). Idempotent."""
        if self._closed:
            return
        self._closed = True
        try:
            self._ctx.storage.close()
        finally:
            self._ctx.providers.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
