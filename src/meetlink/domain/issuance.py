"""Whether a meeting URL may be issued for an event (S11, S17, S18, S22).

The policy is data: which spans, sources and recurrence are allowed. The seed's policy is
the default; the roadmap (R2: recurring/period/all-day, R3: scheduling polls) is configuration
plus the provider's capabilities, not new branches.
"""

from __future__ import annotations

import enum
from datetime import timedelta

import attrs

from meetlink.domain.event import Event, Source, Span

__all__ = [
    "CONTEXT_REFUSALS",
    "Decision",
    "IssuancePolicy",
    "Notice",
    "ProviderTraits",
    "Refusal",
    "decide",
]


class Refusal(enum.Enum):
    """Why a requested URL was not issued."""

    ADDON_INACTIVE = "addon_inactive"  # S3-S5
    NOT_LINKED = "not_linked"  # S6, S11
    RECURRING = "recurring"  # S17
    PERIOD = "period"  # S17
    ALL_DAY = "all_day"  # S17
    SOURCE_NOT_ALLOWED = "source_not_allowed"  # S18
    UNKNOWN_PROVIDER = "unknown_provider"
    LINK_BROKEN = "link_broken"  # the grant was revoked; the user must link again

    @property
    def code(self) -> str:
        """The stable code of its text in ``meetlink.messages`` (``"refusal.<value>"``)."""
        return f"refusal.{self.value}"


# Refusals that come from the tenant/user context rather than the event. They block new
# issuance but never withdraw a URL that already exists: only the event itself does that.
CONTEXT_REFUSALS = frozenset({Refusal.ADDON_INACTIVE, Refusal.NOT_LINKED, Refusal.LINK_BROKEN})


class Notice(enum.Enum):
    """Something the user should know; never blocks issuance."""

    FREE_PLAN_TIME_LIMIT = "free_plan_time_limit"  # S22: Basic Zoom ends meetings at 40 min
    PROVIDER_PENDING = "provider_pending"  # the provider did not answer yet; retried later
    # The owner's stored credentials cannot be read with the configured keys (a key missing
    # or wrong): the provider was not called; the work waits until the right key is back.
    CREDENTIALS_UNREADABLE = "credentials_unreadable"
    CONFERENCE_DETACHED = "conference_detached"  # the URL stays but nothing can update it
    LINK_REQUIRED_TO_UPDATE = "link_required_to_update"  # changes not sent: no link holds it
    # R2: the provider cannot schedule this recurrence (e.g. an open-ended rule on Zoom): its
    # one meeting has no fixed times (Zoom type 3); the URL still works for every occurrence.
    RECURRENCE_NOT_EXPRESSIBLE = "recurrence_not_expressible"

    @property
    def code(self) -> str:
        """The stable code of its text in ``meetlink.messages`` (``"notice.<value>"``)."""
        return f"notice.{self.value}"


@attrs.frozen(kw_only=True)
class IssuancePolicy:
    """Which events may get a URL. Defaults are the seed (S17, S18)."""

    spans: frozenset[Span] = frozenset({Span.TIMED})
    sources: frozenset[Source] = frozenset({Source.MANUAL})
    allow_recurring: bool = False

    @classmethod
    def seed(cls) -> IssuancePolicy:
        """The seed's rules: timed, one-off, manually registered events only."""
        return cls()

    @classmethod
    def roadmap(cls) -> IssuancePolicy:
        """R2 and R3: every span, recurring events, and dates fixed by a scheduling poll."""
        return cls(
            spans=frozenset(Span),
            sources=frozenset({Source.MANUAL, Source.SCHEDULING_POLL}),
            allow_recurring=True,
        )


@attrs.frozen(kw_only=True)
class ProviderTraits:
    """What the decision needs to know of the provider and of the owner's account there."""

    supports_recurring: bool = True
    free_plan_minutes: int | None = None  # Zoom Basic: 40 (S22); None: no limit
    plan: str = "licensed"
    recurrence_expressible: bool = True  # the provider can schedule this event's rule (R2)


@attrs.frozen
class Decision:
    """The outcome: ``issue`` iff nothing refuses."""

    refusals: tuple[Refusal, ...]
    notices: tuple[Notice, ...]

    @property
    def issue(self) -> bool:
        """True when the URL may be issued."""
        return not self.refusals

    @property
    def withdraws(self) -> bool:
        """True when the event itself no longer allows a URL (an existing one must go)."""
        return any(r not in CONTEXT_REFUSALS for r in self.refusals)


def decide(
    event: Event,
    *,
    addon_active: bool,
    linked: bool,
    link_broken: bool = False,
    provider_known: bool,
    traits: ProviderTraits | None = None,
    policy: IssuancePolicy | None = None,
) -> Decision:
    """Every refusal that applies to issuing ``event.web_meeting`` for ``event``, and notices.

    An event that does not request a URL gets no refusals and no notices.
    """
    if event.web_meeting is None:
        return Decision((), ())
    policy = policy or IssuancePolicy.seed()
    traits = traits or ProviderTraits()
    refusals: list[Refusal] = []
    if not provider_known:
        refusals.append(Refusal.UNKNOWN_PROVIDER)
    if not addon_active:
        refusals.append(Refusal.ADDON_INACTIVE)
    if link_broken:
        refusals.append(Refusal.LINK_BROKEN)
    elif not linked:
        refusals.append(Refusal.NOT_LINKED)
    if event.recurrence is not None and not (policy.allow_recurring and traits.supports_recurring):
        refusals.append(Refusal.RECURRING)  # S17
    if event.span not in policy.spans:
        refusals.append(
            {Span.PERIOD: Refusal.PERIOD, Span.ALL_DAY: Refusal.ALL_DAY}.get(
                event.span, Refusal.PERIOD
            )
        )  # S17
    if event.source not in policy.sources:
        refusals.append(Refusal.SOURCE_NOT_ALLOWED)  # S18
    notices: list[Notice] = []
    limit = traits.free_plan_minutes
    if traits.plan == "basic" and limit is not None and event.duration > timedelta(minutes=limit):
        notices.append(Notice.FREE_PLAN_TIME_LIMIT)  # S22
    if event.recurrence is not None and not traits.recurrence_expressible:
        notices.append(Notice.RECURRENCE_NOT_EXPRESSIBLE)  # R2: a meeting without fixed times
    return Decision(tuple(refusals), tuple(notices))
