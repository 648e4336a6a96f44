"""What meetlink says to people, as data: a stable code and parameters for every error,
notice, host notice and conference error, and their texts in Japanese and English.

A host shows a user ``text(thing, locale)``, never ``str(error)`` (English prose for logs and
developers) and never the code itself::

    from meetlink import messages

    try:
        meetlink.save_event(event)
    except meetlink.MeetLinkError as exc:
        flash(messages.text(exc, user.locale))   # 予定の「タイトル」は 1,000 文字以内で…

    for notice in result.notices:                # Notice values
        flash(messages.text(notice, "ja"))
    conference = meetlink.conference(event_id, tenant_id=tenant)
    if conference is not None and conference.error is not None:
        show(messages.text(conference, "en"))    # why it failed, in words

``thing`` is a code (``"error.invalid_event"``), a
[`MeetLinkError`][meetlink.errors.MeetLinkError] (``code`` and ``params``), a ``Notice``, a
``Refusal``, a ``HostNotice`` or ``HostNoticeKind``, or a ``Conference`` (its
``error_code``). Codes are stable across releases: a host may store them and translate later.
Parameters are filled into the text; a ``provider`` parameter is shown by its product name
("Zoom", "Microsoft Teams"), a ``field`` parameter by the field's name in the locale.

[`CATALOGUE`][meetlink.messages.CATALOGUE] holds every text; ``tests/test_messages.py`` fails
when any code lacks its Japanese or English, or when a Japanese text breaks Japanese
typography (an ASCII full stop or comma inside a sentence, a provider name in lower case).
"""

from __future__ import annotations

import string
from collections.abc import Iterator, Mapping
from typing import Any

__all__ = [
    "CATALOGUE",
    "FIELDS",
    "LOCALES",
    "PROVIDER_NAMES",
    "code_of",
    "codes",
    "params_of",
    "provider_name",
    "text",
]

#: The languages every text exists in; other locales fall back to English.
LOCALES = ("ja", "en")

#: Product names of the provider keys meetlink ships (others: the key, capitalised).
PROVIDER_NAMES: dict[str, str] = {
    "zoom": "Zoom",
    "teams": "Microsoft Teams",
    "google_meet": "Google Meet",
}

#: How a ``field`` parameter (an Event field an InvalidEvent names) is shown.
FIELDS: dict[str, dict[str, str]] = {
    "event": {"ja": "予定", "en": "event"},
    "id": {"ja": "予定のID", "en": "event id"},
    "tenant_id": {"ja": "会社", "en": "company"},
    "owner_id": {"ja": "登録者", "en": "owner"},
    "title": {"ja": "タイトル", "en": "title"},
    "start": {"ja": "開始日時", "en": "start"},
    "end": {"ja": "終了日時", "en": "end"},
    "timezone": {"ja": "タイムゾーン", "en": "time zone"},
    "span": {"ja": "終日・期間の指定", "en": "all-day or period setting"},
    "source": {"ja": "登録方法", "en": "how the event was made"},
    "recurrence": {"ja": "繰り返し", "en": "repeat rule"},
    "web_meeting": {"ja": "Web会議", "en": "web meeting"},
    "description": {"ja": "メモ", "en": "notes"},
    "participants": {"ja": "参加者", "en": "participants"},
    "participants.email": {"ja": "参加者のメールアドレス", "en": "participant's address"},
    "participants.name": {"ja": "参加者の名前", "en": "participant's name"},
    "participants.locale": {"ja": "参加者の言語", "en": "participant's language"},
    "exdates": {"ja": "除外する日", "en": "skipped dates"},
    "moved": {"ja": "移動した回", "en": "moved occurrences"},
    "moved.end": {"ja": "移動した回の終了日時", "en": "end of a moved occurrence"},
}

_T = dict[str, str]


def _t(ja: str, en: str) -> _T:
    return {"ja": ja, "en": en}


#: Every code and its texts. ``{name}`` placeholders are filled from the parameters.
CATALOGUE: dict[str, _T] = {
    # -- errors (MeetLinkError.code) ----------------------------------------------------------
    "error.meetlink_error": _t("処理できませんでした。", "That could not be done."),
    "error.invalid_input": _t("入力内容を確認してください。", "Please check what you entered."),
    "error.invalid_event": _t(
        "予定の「{field}」を確認してください。", "Please check the event's {field}."
    ),
    "error.invalid_event.empty": _t(
        "予定の「{field}」を入力してください。", "Please enter the event's {field}."
    ),
    "error.invalid_event.too_long": _t(
        "予定の「{field}」は {limit} 文字以内で入力してください。",
        "The event's {field} can be at most {limit} characters.",
    ),
    "error.invalid_event.too_many": _t(
        "予定の「{field}」は {limit} 件までです。",
        "An event can have at most {limit} {field}.",
    ),
    "error.invalid_event.email": _t(
        "参加者のメールアドレス「{value}」は正しくありません。",
        "The participant address “{value}” is not valid.",
    ),
    "error.invalid_event.duplicate_email": _t(
        "同じ参加者のメールアドレスが2回入力されています。",
        "The same participant address appears twice.",
    ),
    "error.invalid_event.end_before_start": _t(
        "終了日時は開始日時より後にしてください。", "The end must be after the start."
    ),
    "error.invalid_event.out_of_range": _t(
        "予定の「{field}」は1900年から8999年までの日時にしてください。",
        "The event's {field} must be a date from 1900 to 8999.",
    ),
    "error.invalid_event.control_characters": _t(
        "予定の「{field}」に使えない文字（改行や制御文字）が含まれています。",
        "The event's {field} contains characters it cannot hold (line breaks or controls).",
    ),
    "error.invalid_event.other_tenant": _t(
        "この予定は別の会社のものです。", "This event belongs to another company."
    ),
    "error.configuration_error": _t(
        "設定に誤りがあります。運用担当者に連絡してください。",
        "meetlink is not configured correctly: please tell your operator.",
    ),
    "error.invalid_setting": _t(
        "設定「{setting}」に誤りがあります。運用担当者に連絡してください。",
        "The setting {setting} is wrong: please tell your operator.",
    ),
    "error.unknown_provider": _t(
        "このWeb会議サービスは使えません。", "This web meeting service is not available."
    ),
    "error.subscription_error": _t(
        "契約の状態を変更できませんでした。", "The contract could not be changed."
    ),
    "error.trial_unavailable": _t(
        "この会社はトライアルを利用済みです。管理者がアドオンを契約できます。",
        "This company has already used its trial: an admin can contract the add-on.",
    ),
    "error.invalid_transition": _t(
        "今の契約の状態では、この操作はできません。",
        "The contract is not in a state that allows this.",
    ),
    "error.addon_inactive": _t(
        "Web会議連携が有効ではありません。トライアルを開始するか、管理者が契約してください。",
        "Web conference integration is not active: start the trial or ask an admin to contract it.",
    ),
    "error.illegal_move": _t(
        "内部エラーが発生しました。運用担当者に連絡してください。",
        "Something went wrong inside meetlink: please tell your operator.",
    ),
    "error.link_error": _t(
        "{provider}との連携に失敗しました。もう一度お試しください。",
        "Linking with {provider} failed: please start again.",
    ),
    "error.invalid_link_state": _t(
        "連携の手続きの有効期限が切れたか、すでに使われています。最初からやり直してください。",
        "The link request expired or was already used: please start again.",
    ),
    "error.link_denied": _t(
        "{provider}の画面で許可されなかったため、連携していません。",
        "You declined on {provider}'s page: nothing was linked.",
    ),
    "error.admin_approval_required": _t(
        "{provider}の管理者によるアプリの承認が必要です。管理者に承認を依頼してから、"
        "もう一度連携してください。",
        "Your {provider} administrator must approve the app first: ask them, then link again.",
    ),
    "error.unsupported_account": _t(
        "このアカウントでは{provider}の会議を開催できません。別のアカウントで連携してください。",
        "This account cannot host {provider} meetings: link another account.",
    ),
    "error.link_not_needed": _t(
        "{provider}は連携しなくても使えます。", "{provider} needs no link: it works as is."
    ),
    "error.not_linked": _t(
        "{provider}と連携していません。個人設定から連携してください。",
        "You are not linked with {provider}: link it in your personal settings.",
    ),
    "error.not_meeting_host": _t(
        "このミーティングを開始できるのは、予定の登録者が連携中のアカウントだけです。",
        "Only the event's owner, through the linked account that hosts it, can start this meeting.",
    ),
    "error.unknown_event": _t("この予定は見つかりません。", "This event does not exist."),
    "error.no_conference": _t(
        "この予定にはまだWeb会議がありません。", "This event has no web meeting yet."
    ),
    "error.webhook_rejected": _t(
        "受け付けられない通知です。", "The notification was not accepted."
    ),
    "error.mail_delivery_failed": _t(
        "メールを送信できませんでした。", "The mail could not be sent."
    ),
    "error.storage_error": _t(
        "データを保存できませんでした。しばらくしてからもう一度お試しください。",
        "The data could not be saved: please try again shortly.",
    ),
    "error.concurrent_update": _t(
        "同時に別の変更がありました。もう一度お試しください。",
        "Someone else changed this at the same time: please try again.",
    ),
    "error.credential_error": _t(
        "保存された認証情報を読めませんでした。運用担当者に連絡してください。",
        "Stored credentials could not be read: please tell your operator.",
    ),
    "error.provider_error": _t(
        "{provider}での処理に失敗しました。", "{provider} could not do this."
    ),
    "error.provider_unavailable": _t(
        "{provider}に接続できませんでした。", "{provider} could not be reached."
    ),
    "error.rate_limited": _t(
        "{provider}の利用回数の上限に達しました。",
        "{provider} asked for fewer requests for a while (a rate limit).",
    ),
    "error.meeting_in_progress": _t(
        "ミーティングが開催中のため、終了後に削除します。",
        "The meeting is in progress: it is deleted once it ends.",
    ),
    "error.auth_expired": _t(
        "{provider}の認証の有効期限が切れていました。",
        "The {provider} authorization had expired.",
    ),
    "error.grant_revoked": _t(
        "{provider}との連携が切れました。もう一度連携してください。",
        "The link with {provider} broke: please link again.",
    ),
    "error.meeting_gone": _t(
        "{provider}のミーティングはすでに削除されています。",
        "The {provider} meeting no longer exists.",
    ),
    "error.provider_rejected": _t(
        "{provider}がこの依頼を受け付けませんでした。", "{provider} refused this request."
    ),
    "error.not_in_organisation": _t(
        "会社の{provider}アカウントに、このユーザーのアドレスが見つかりません。管理者に追加を"
        "依頼するか、ご自身の{provider}アカウントと連携してください。",
        "Your company's {provider} account has no user at your address: ask an admin to add "
        "you there, or link your own {provider} account.",
    ),
    "error.access_policy_missing": _t(
        "会社の{provider}管理者が、このユーザーに対するアプリのアクセスポリシーをまだ許可して"
        "いません。管理者に設定を依頼してください。",
        "Your company's {provider} administrator has not yet granted the app an access policy "
        "for you: ask them to set it up.",
    ),
    "error.hosting_not_allowed": _t(
        "この{provider}アカウントのプランやライセンスでは会議を開催できません。管理者に会議を"
        "開催できるプランを依頼するか、開催できるアカウントと連携してください。",
        "This {provider} account's plan or licence cannot host meetings: ask your admin for "
        "one that can, or link an account that can host them.",
    ),
    # -- notices on a save (Notice) -------------------------------------------------------------
    "notice.free_plan_time_limit": _t(
        "{provider}の無料プランでは、ミーティングは40分で終了します。",
        "On the free {provider} plan, meetings end after 40 minutes.",
    ),
    "notice.provider_pending": _t(
        "{provider}から応答がありません。URLは自動で再試行して発行します。",
        "{provider} did not answer yet: the URL is issued by a retry, by itself.",
    ),
    "notice.credentials_unreadable": _t(
        "保存された認証情報を読めないため、{provider}には依頼していません。"
        "運用担当者に連絡してください。",
        "Stored credentials could not be read, so {provider} was not asked: please tell "
        "your operator.",
    ),
    "notice.conference_detached": _t(
        "この会議のアカウントとの連携がないため、URLはそのまま使えますが、変更は会議に反映されません。",
        "No link holds this meeting's account: the URL still works, but changes cannot reach "
        "the meeting.",
    ),
    "notice.link_required_to_update": _t(
        "予定の変更を会議に反映するには、会議のアカウントともう一度連携してください。",
        "To bring the meeting up to date, link its account again.",
    ),
    "notice.recurrence_not_expressible": _t(
        "{provider}はこの繰り返しを予定として登録できないため、日時を決めない会議のURLを"
        "発行しました。どの回でも同じURLで参加できます。",
        "{provider} cannot schedule this repeat rule, so its meeting has no fixed times: "
        "the same URL works for every occurrence.",
    ),
    # -- why no URL was issued (Refusal) --------------------------------------------------------
    "refusal.addon_inactive": _t(
        "Web会議連携が有効ではないため、URLは発行されませんでした。",
        "No URL was issued: Web conference integration is not active.",
    ),
    "refusal.not_linked": _t(
        "{provider}と連携していないため、URLは発行されませんでした。個人設定から連携してください。",
        "No URL was issued: you are not linked with {provider} (link it in your personal "
        "settings).",
    ),
    "refusal.recurring": _t(
        "繰り返しの予定にはURLを発行できません。",
        "No URL was issued: URLs are not issued for recurring events.",
    ),
    "refusal.period": _t(
        "期間指定の予定にはURLを発行できません。",
        "No URL was issued: URLs are not issued for multi-day events.",
    ),
    "refusal.all_day": _t(
        "終日の予定にはURLを発行できません。",
        "No URL was issued: URLs are not issued for all-day events.",
    ),
    "refusal.source_not_allowed": _t(
        "この方法で登録した予定にはURLを発行できません。",
        "No URL was issued: URLs are not issued for events made this way.",
    ),
    "refusal.unknown_provider": _t(
        "このWeb会議サービスは使えないため、URLは発行されませんでした。",
        "No URL was issued: this web meeting service is not available.",
    ),
    "refusal.link_broken": _t(
        "{provider}との連携が切れているため、URLは発行されませんでした。もう一度連携してください。",
        "No URL was issued: the link with {provider} broke (link again).",
    ),
    # -- notices to the host (HostNoticeKind) ---------------------------------------------------
    "host_notice.link_broken": _t(
        "{provider}との連携が切れました。もう一度連携してください。",
        "The link with {provider} broke: please link again.",
    ),
    "host_notice.link_removed_at_provider": _t(
        "{provider}側でアプリが削除されたため、連携が解除されました。",
        "The app was removed at {provider}: the link ended.",
    ),
    "host_notice.link_taken_over": _t(
        "他のユーザーが同じ{provider}アカウントを連携したため、こちらの連携は解除されました。",
        "Another user linked the same {provider} account: your link ended.",
    ),
    "host_notice.work_failed": _t(
        "会議またはメールの処理が、再試行の末に失敗しました。",
        "A meeting or mail job failed after its retries.",
    ),
    "host_notice.credentials_unreadable": _t(
        "保存された認証情報を読めませんでした。運用担当者は暗号鍵の設定を確認してください。",
        "Stored credentials could not be read: an operator should check the encryption keys.",
    ),
    "host_notice.conference_issued": _t(
        "予定の{provider}会議の参加URLを発行しました。",
        "The event's {provider} join URL was issued.",
    ),
    "host_notice.conference_updated": _t(
        "予定の{provider}会議が変更されました（参加URL、パスコードまたは日時）。",
        "The event's {provider} meeting changed (its join URL, passcode or time).",
    ),
    "host_notice.conference_withdrawn": _t(
        "予定の{provider}会議は削除されました。以前の参加URLは使えません。",
        "The event's {provider} meeting was removed: its join URL no longer works.",
    ),
    "host_notice.conference_failed": _t(
        "予定の{provider}会議を作成または変更できませんでした。",
        "The event's {provider} meeting could not be made or changed.",
    ),
    "host_notice.event_deleted_by_other": _t(
        "あなたが登録した予定を、他のユーザーが削除しました。参加者には中止の案内が送られます。",
        "Another user deleted an event you own: its participants are sent a cancellation.",
    ),
    "host_notice.meeting_repaired": _t(
        "{provider}側で削除または変更された会議を、予定に合わせて元に戻しました。",
        "A meeting deleted or changed on {provider}'s own site was made to match the event again.",
    ),
    # -- why a conference failed (Conference.error_code) ----------------------------------------
    "conference.event_ended": _t(
        "予定が終了しているため、会議は作成されませんでした。",
        "The event is over, so no meeting was made.",
    ),
    "conference.failed": _t(
        "{provider}で会議を作成または変更できませんでした。",
        "{provider} could not make or change the meeting.",
    ),
}


class _Params(string.Formatter):
    """Fills ``{name}`` from the parameters; a missing one is left out, never an error."""

    def get_value(self, key: int | str, args: Any, kwargs: Mapping[str, Any]) -> Any:
        return kwargs.get(str(key), "")


_FORMATTER = _Params()


def codes() -> Iterator[str]:
    """Every code the catalogue holds."""
    return iter(CATALOGUE)


def provider_name(key: str | None) -> str:
    """How a provider key is shown: its product name ("Zoom"), else the key capitalised."""
    if not key:
        return "Web会議"
    return PROVIDER_NAMES.get(key, key.replace("_", " ").title())


def code_of(thing: object) -> str:
    """The stable code of ``thing`` (see the module docstring), or ``thing`` if a str."""
    if isinstance(thing, str):
        return thing
    found = getattr(thing, "error_code", None) or getattr(thing, "code", None)
    if isinstance(found, str):
        return found
    raise TypeError(f"{type(thing).__name__} has no meetlink message code")


def params_of(thing: object) -> dict[str, Any]:
    """The parameters ``thing`` carries for its text."""
    if isinstance(thing, str):
        return {}
    params = getattr(thing, "error_params", None)
    if params is None:
        params = getattr(thing, "params", None)
    return dict(params) if isinstance(params, Mapping) else {}


def _normal(locale: str) -> str:
    primary = (locale or "").replace("_", "-").split("-", 1)[0].lower()
    return primary if primary in LOCALES else "en"


def text(thing: object, locale: str = "ja", **params: Any) -> str:
    """``thing``'s text in ``locale`` ("ja", "en"; "ja-JP" and the like count as "ja",
    anything else is English), with its parameters (and ``params``) filled in.

    Raises ``KeyError`` for a code the catalogue does not hold, ``TypeError`` for an object
    that carries no code (an exception that is not meetlink's)."""
    lang = _normal(locale)
    code = code_of(thing)
    values = {**params_of(thing), **params}
    reason = values.get("reason")
    entry = CATALOGUE.get(f"{code}.{reason}") if reason else None
    if entry is None:
        entry = CATALOGUE[code]
    shown: dict[str, Any] = {}
    for key, value in values.items():
        if key == "provider":
            value = provider_name(value if isinstance(value, str) else None)
            if lang == "en" and value == "Web会議":
                value = "the web meeting service"
        elif key == "field" and isinstance(value, str):
            value = FIELDS.get(value, FIELDS["event"])[lang]
        elif isinstance(value, int) and not isinstance(value, bool):
            value = f"{value:,}"
        shown[key] = value
    if "provider" not in shown:
        shown["provider"] = "Web会議" if lang == "ja" else "the web meeting service"
    result = _FORMATTER.vformat(entry[lang], (), shown)
    return result[:1].upper() + result[1:]
