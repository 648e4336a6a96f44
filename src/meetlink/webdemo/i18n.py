"""Japanese and English for the demo's pages. Keys are the English texts (with ``{name}``
placeholders, filled after translation); [`CODES`][meetlink.webdemo.i18n.CODES] gives English words
to the codes that pages show (subscription states, notice kinds, clock steps), and
[`JA`][meetlink.webdemo.i18n.JA] the Japanese of every key. ``tests/webdemo/test_i18n.py`` checks
that every key a template or view uses has its Japanese. The seed's own Japanese labels are kept
word for word ("Zoomと連携する", "Web会議連携", "URLを発行する", "トライアル開始"...)."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from meetlink import messages

__all__ = ["CODES", "JA", "LANGUAGES", "Translator", "preferred_language"]

LANGUAGES = ("ja", "en")
_ZONE = ZoneInfo("Asia/Tokyo")
_WEEKDAYS_JA = "月火水木金土日"

#: English words for codes the pages show.
CODES: dict[str, str] = {
    "NOT_STARTED": "not started",
    "TRIAL": "trial",
    "TRIAL_ENDED": "trial ended",
    "CONTRACTED": "contracted",
    "CANCELLED": "contract cancelled",
    "LINK_BROKEN": "the link broke: link again",
    "LINK_REMOVED_AT_PROVIDER": "the app was removed at the provider: the link ended",
    "LINK_TAKEN_OVER": "another user linked the same account: the link ended here",
    "WORK_FAILED": "a meeting or mail job gave up",
    "CREDENTIALS_UNREADABLE": "stored credentials could not be read",
    "basic": "Basic, free",
    "licensed": "Licensed",
    "2m": "2 minutes",
    "1h": "1 hour",
    "1d": "1 day",
    "15d": "15 days",
}

#: The Japanese of every key.
JA: dict[str, str] = {
    # codes
    "not started": "未開始",
    "trial": "トライアル中",
    "trial ended": "トライアル終了",
    "contracted": "契約中",
    "contract cancelled": "契約解除済み",
    "the link broke: link again": "連携が切れました。もう一度連携してください",
    "the app was removed at the provider: the link ended": "サービス側でアプリが削除され、"
    "連携が解除されました",
    "another user linked the same account: the link ended here": "他のユーザーが同じ"
    "アカウントを連携したため、連携が解除されました",
    "a meeting or mail job gave up": "会議またはメールの処理が再試行をあきらめました",
    "stored credentials could not be read": "保存された認証情報を読めませんでした",
    "Basic, free": "無料プラン(Basic)",
    "Licensed": "有料プラン",
    "2 minutes": "2分",
    "1 hour": "1時間",
    "1 day": "1日",
    "15 days": "15日",
    # page titles
    "Acme Calendar": "Acme カレンダー",
    "Calendar": "カレンダー",
    "New event": "予定の登録",
    "Edit event": "予定の編集",
    "Event": "予定詳細",
    "Personal settings": "個人設定",
    "Free trial of apps": "アプリの無料トライアル",
    "Change contract": "契約内容を変更する",
    "Inbox": "受信箱",
    "Mail": "メール",
    "Operator": "運用",
    "Not possible": "できません",
    "Something went wrong on this page. Go back and try again.": "このページでエラーが"
    "発生しました。前の画面に戻って、もう一度お試しください。",
    # layout
    "Skip to content": "本文へ移動",
    "Main menu": "メインメニュー",
    "Admin settings": "管理設定",
    "Signed in as": "ログイン中のユーザー",
    "admin": "管理者",
    "Switch": "切り替え",
    "Demo time": "デモの時刻",
    "moved forward by the operator": "運用画面で進めた時刻",
    "A worker thread in this process delivers mail and runs retries and reminders every "
    "{seconds} s: no second command is needed.": "このプロセス内のワーカーが{seconds}秒ごとに"
    "メール送信・再試行・リマインダーを実行します(別のコマンドは不要です)。",
    # add-on and contract (S3-S5)
    "Web conference integration": "Web会議連携",
    "Issue a Zoom (or Microsoft Teams) meeting URL when you register an event. Free of "
    "charge; an option the company contracts.": "予定の登録時にZoom(またはMicrosoft Teams)の"
    "会議URLを発行します。無料ですが、会社ごとに契約するオプションです。",
    "State": "状態",
    "trial ends": "トライアル終了日時",
    "Start trial": "トライアル開始",
    "{days} days, free": "{days}日間無料",
    "The trial has ended: the admin contracts the add-on in Admin settings → Change "
    "contract.": "トライアルは終了しました。管理者が「管理設定」→「契約内容を変更する」"
    "から契約できます。",
    "Options": "オプション",
    "free": "無料",
    "Confirm the application": "申し込みを確定する",
    "Add-on": "アドオン",
    "Start the trial from the + menu (or contract the add-on) first.": "先に「+」メニューから"
    "トライアルを開始(またはアドオンを契約)してください。",
    "This company has already used its trial: the admin can contract the add-on.": "この会社は"
    "トライアルを利用済みです。管理者がアドオンを契約できます。",
    "The {days}-day trial of Web conference integration has started.": "Web会議連携の"
    "{days}日間トライアルを開始しました。",
    "Web conference integration is contracted.": "Web会議連携を契約しました。",
    "The Web conference integration contract is cancelled.": "Web会議連携の契約を解除しました。",
    "Nothing changed.": "変更はありません。",
    "URL issuance": "URLの発行",
    "Also issue URLs for recurring, multi-day and all-day events (roadmap)": "繰り返し、"
    "期間指定、終日の予定にもWeb会議のURLを発行する(ロードマップ)",
    "The URL issuance rules are saved.": "URLの発行ルールを保存しました。",
    # personal settings (S6-S10, S15)
    "enabled": "有効",
    "disabled": "無効",
    "Linked account": "連携中のアカウント",
    "Link with {provider}": "{provider}と連携する",
    "Unlink {provider}": "{provider}との連携を解除する",
    "Messages": "お知らせ",
    "Every user links their own account; one account of the service can be linked to one "
    "user only (linking it elsewhere unlinks it here).": "連携はユーザーごとに設定します。"
    "1つのアカウントを連携できるのは1人のユーザーだけです(別のユーザーが連携すると、こちらの連携は"
    "自動で解除されます)。",
    "Linked with {provider}.": "{provider}と連携しました。",
    "Unlinked {provider}.": "{provider}との連携を解除しました。",
    "You declined on {provider}'s page: nothing was linked.": "{provider}の画面で拒否された"
    "ため、連携していません。",
    "Your {provider} administrator must approve the app first; link again once "
    "approved.": "{provider}の管理者によるアプリの承認が必要です。承認後にもう一度"
    "連携してください。",
    "The link request expired or was already used: start again.": "連携の要求が期限切れか"
    "使用済みです。もう一度やり直してください。",
    "Nobody was signed in when {provider} sent you back: start again.": "{provider}から"
    "戻ったときにログインしていませんでした。もう一度やり直してください。",
    "{provider} refused the authorization: start again.": "{provider}が認可を拒否しました。"
    "もう一度やり直してください。",
    "{provider} could not be reached: try again later.": "{provider}に接続できませんでした。"
    "しばらくしてからやり直してください。",
    "Linking failed: start again.": "連携に失敗しました。もう一度やり直してください。",
    # calendar and event form (S11, S17)
    "Times are in Japan time (Asia/Tokyo).": "時刻は日本時間(Asia/Tokyo)です。",
    "When": "日時",
    "Title": "タイトル",
    "Owner": "登録者",
    "Web conference": "Web会議",
    "No events yet.": "予定はまだありません。",
    "Start": "開始",
    "Japan time": "日本時間",
    "Length (minutes)": "時間(分)",
    "Repeat": "繰り返し",
    "Does not repeat": "繰り返さない",
    "Every week": "毎週",
    "Participants": "参加者",
    "One address per line, or separated by commas or semicolons, e.g. Carol "
    "<carol@customer.example>. They are mailed the URL.": "1行に1つ、またはカンマ・セミコロン"
    "区切りでアドレスを入力します(例: Carol <carol@customer.example>)。URLはメールで通知"
    "されます。",
    "Language of the participants' mail": "参加者へのメールの言語",
    "Notes": "メモ",
    "Issue URL": "URLを発行する",
    "Service": "サービス",
    "only the owner can change it; it stays as it is.": "変更できるのは登録者だけです。"
    "このまま保持されます。",
    "the section is hidden (the add-on is inactive or the account is not linked); the URL "
    "stays as it is.": "アドオンが無効か未連携のため表示されていません。URLはこのまま"
    "保持されます。",
    "Save": "登録する",
    "Cancel": "キャンセル",
    "Enter a title.": "タイトルを入力してください。",
    "Enter the start as a date and a time.": "開始日時を入力してください。",
    "Enter the length in minutes.": "時間を分で入力してください。",
    "Some participants could not be read:": "読み取れない参加者があります。",
    "This is not an email address.": "メールアドレスではありません。",
    "The start must be between 1900 and 8999.": "開始日時は1900年から8999年までの日時に"
    "してください。",
    "The length must be from 5 to 1440 minutes.": "時間は5分から1440分までです。",
    "Event saved.": "予定を登録しました。",
    "no URL can be issued: the Web conference integration add-on is not active (see "
    "Personal settings).": "Web会議連携のアドオンが有効ではないため、URLは発行できません"
    "(個人設定をご覧ください)。",
    "no URL can be issued: link Zoom or Microsoft Teams in Personal settings first.": "URLを"
    "発行するには、先に個人設定でZoomまたはMicrosoft Teamsと連携してください。",
    "The contract is cancelled: the admin can contract the add-on again in Admin settings → "
    "Change contract.": "契約は解除されています。管理者が「管理設定」→「契約内容を変更する」から"
    "もう一度契約できます。",
    "Until then no new meeting URL is issued; URLs already issued keep working.": "それまで新しい"
    "会議URLは発行されません。発行済みのURLは引き続き使えます。",
    "linked, but the add-on is not active": "連携済み(アドオンが有効ではありません)",
    "The event is saved, but its URL could not be issued: see why below.": "予定は登録しました"
    "が、URLを発行できませんでした。理由は下に表示しています。",
    "The URL is issued.": "URLを発行しました。",
    # event detail (S2, S12, S19, S20)
    "No web conference URL.": "Web会議のURLはありません。",
    "Being issued": "発行中",
    "URL issued": "URL発行済み",
    "URL kept, no longer managed": "URLは残っていますが管理できません",
    "Failed": "失敗",
    "URL": "URL",
    "Passcode": "パスコード",
    "{provider} has not confirmed the meeting yet. The worker in this process tries "
    "again{when}.": "{provider}がまだ会議を確定していません。このプロセスのワーカーが"
    "再試行します{when}。",
    "at {time}": "({time})",
    "No URL was issued, and nothing more happens on its own: retry, or save the event "
    "again.": "URLは発行されませんでした。これ以上自動では処理されません。再試行するか、"
    "予定をもう一度保存してください。",
    "The URL stays, but no linked account can change the meeting any more (the owner "
    "unlinked).": "URLは残りますが、連携中のアカウントがないため会議を変更できません(登録者が"
    "連携を解除しました)。",
    "Why": "理由",
    "Are you sure?": "確認",
    "Delete “{title}”? Its meeting URL is deleted too and participants get a "
    "cancellation.": "「{title}」を削除しますか？会議のURLも削除され、参加者には中止の"
    "お知らせが届きます。",
    "Delete “{title}”?": "「{title}」を削除しますか？",
    "Unlink {provider}? Your events keep their URLs, but their meetings can no longer be "
    "changed or started until you link again.": "{provider}との連携を解除しますか？予定の"
    "URLはそのまま使えますが、もう一度連携するまで会議の変更や開始はできません。",
    "Unlink": "連携を解除する",
    "Press Remove App at {provider} as {email}? The link ends and cannot be restored "
    "without linking again.": "{email}として{provider}で「Remove App」を押しますか？連携は"
    "解除され、もう一度連携するまで戻りません。",
    "Your {provider} link does not hold this meeting's account any more (another user "
    "linked that account, or you unlinked): link it again in Personal settings to start or "
    "change the meeting. Participants can still join with the URL.": "この会議のアカウントとの"
    "{provider}連携が切れています(他のユーザーが同じアカウントを連携したか、連携を解除"
    "しました)。ミーティングの開始や変更には、個人設定からもう一度連携してください。参加者は"
    "引き続きURLから参加できます。",
    "Start meeting": "ミーティングを開始",
    "Only the owner can start this meeting; join with the URL.": "このミーティングを開始できる"
    "のは登録者だけです。URLから参加してください。",
    "Retry now": "今すぐ再試行",
    "Edit": "編集",
    "Delete": "削除",
    "There is no such event (it may have been deleted).": "その予定はありません(削除された"
    "可能性があります)。",
    "Only the event's owner can start its meeting.": "ミーティングを開始できるのは予定の"
    "登録者だけです。",
    "This event has no meeting to start.": "この予定には開始できるミーティングがありません。",
    "The meeting could not be started now: try again.": "ミーティングを開始できませんでした。"
    "もう一度お試しください。",
    "Deleted “{title}”; its meeting URL is deleted too.": "「{title}」を削除しました。"
    "Web会議のURLも削除されました。",
    "Deleted “{title}”.": "「{title}」を削除しました。",
    "The retry did not issue the URL yet: see why below.": "再試行してもまだURLは発行されて"
    "いません。理由は下に表示されています。",
    # inbox (S13, S14)
    "Every mail meetlink sent, as the participants received it (captured, nothing leaves "
    "this machine).": "meetlinkが送ったすべてのメールを、参加者が受け取ったとおりに表示します"
    "(このマシンの外には送信されません)。",
    "Recipient": "宛先",
    "Everyone": "全員",
    "Show": "表示",
    "Sent": "送信日時",
    "To": "宛先",
    "Subject": "件名",
    "Kind": "種類",
    "No mail yet.": "メールはまだありません。",
    "Invitation or update": "招待または更新",
    "Cancellation": "取り消し",
    "Reminder": "リマインダー",
    "Text part": "テキスト部分",
    "HTML part": "HTML部分",
    "Invitation details (iCalendar)": "招待の詳細(iCalendar)",
    "No calendar part (a reminder carries none: a calendar would read it as an "
    "update).": "カレンダー部分はありません(リマインダーには付けません。カレンダーが更新と"
    "読んでしまうためです)。",
    "There is no such mail.": "そのメールはありません。",
    # operator
    "Move it forward to let a retry come due, a reminder go out or the trial end.": "時刻を"
    "進めると、再試行・リマインダー・トライアル終了を待たずに確認できます。",
    "At the providers (emulators)": "サービス側(エミュレーター)",
    "Fail the next meeting creation (500)": "次の会議作成を失敗させる(500)",
    "Refuse the next meeting creation for good (400)": "次の会議作成を拒否させる(400)",
    "Down for the next 5 requests (503)": "次の5リクエストを停止させる(503)",
    "Rate-limit the next request (429)": "次のリクエストをレート制限する(429)",
    "User at {provider}": "{provider}のユーザー",
    "Remove App": "Remove App(アプリを削除)",
    "The emulator could not be reached.": "エミュレーターに接続できませんでした。",
    "No meetings.": "会議はありません。",
    "Jobs": "ジョブ",
    "Pending": "待機中",
    "Key": "キー",
    "Runs at": "実行予定",
    "Attempts": "試行回数",
    "Last error": "最後のエラー",
    "Host notices": "ホストへの通知",
    "User": "ユーザー",
    "Detail": "詳細",
    "No notices.": "通知はありません。",
    "The demo clock moved forward.": "デモの時刻を進めました。",
    "{provider} will fail as asked.": "{provider}を指定どおり失敗させます。",
    "{provider} could not be reached.": "{provider}に接続できませんでした。",
    "{email} pressed Remove App at {provider}; our webhook route answered {status}.": "{email}"
    "が{provider}で「Remove App」を押しました。Webhookルートの応答: {status}",
    "{email} pressed Remove App at {provider}; it sends no webhook: the link ends at its "
    "next token refresh.": "{email}が{provider}で「Remove App」を押しました。Webhookは"
    "送られないため、次のトークン更新で連携が終わります。",
    # errors
    "Only the admin can open this page.": "このページを開けるのは管理者だけです。",
    "There is no such page.": "そのページはありません。",
    # the organisation (docs/org-install.md)
    "Organisation": "組織",
    "Link the company's account once: every user it knows gets meeting URLs without"
    " linking. A user's own link wins.": "会社のアカウントを一度連携すると、そのアカウントに"
    "登録されている全ユーザーが個別に連携しなくてもURLを発行できます。ユーザー自身の連携が"
    "ある場合はそちらが優先されます。",
    "Linked by {email}": "{email} が連携済み",
    "Unlink the organisation": "組織の連携を解除する",
    "Not linked": "未連携",
    "Microsoft: link your own Teams account first (Personal settings), then consent for the"
    " organisation.": "Microsoft: まず個人設定でご自身のTeamsアカウントを連携し、その後に組織"
    "として同意してください。",
    "Link the organisation": "組織として連携する",
    "Address": "アドレス",
    "Unlinked the organisation from {provider}.": "{provider}との組織連携を解除しました。",
    "If another user of your company already linked the same account, linking it here ends "
    "their link (they are told, and their meetings can no longer be changed).": "同じアカウント"
    "を社内の別のユーザーがすでに連携している場合、ここで連携するとそのユーザーの連携は解除されます"
    "（本人に通知され、その会議は変更できなくなります）。",
    "{name} had linked this {provider} account: that link ended, and {name} has been told.": "この"
    "{provider}アカウントは{name}さんが連携していました。{name}さんの連携は解除され、本人に通知されて"
    "います。",
    "Kind of event": "予定の種類",
    "At a time (start and length)": "時刻を指定（開始と長さ）",
    "All day (from the start's day)": "終日（開始日から）",
    "Several days (from the start time)": "期間（開始日時から数日間）",
    "Days": "日数",
    "All-day and multi-day events last the number of days given; the length in minutes is for "
    "events at a time. Web meeting URLs are issued for events at a time only, unless the admin's "
    "policy says otherwise.": "終日と期間の予定は指定した日数のあいだ続きます。長さ（分）は時刻を"
    "指定した予定に使います。Web会議のURLは、管理者のポリシーで許可しない限り、時刻を指定した予定"
    "にだけ発行されます。",
    "Enter how many days it lasts.": "日数を入力してください。",
    "It can last from 1 to {limit} days.": "日数は1日から{limit}日までです。",
    "Linking the organisation failed: {reason}": "組織の連携に失敗しました。{reason}",
    "Unlink the organisation from {provider}? Users it serves keep their URLs, but their "
    "meetings can no longer be changed, and they get no new URLs until it is linked "
    "again or they link their own accounts.": "{provider}との組織連携を解除しますか？組織の"
    "連携で発行した予定のURLはそのまま使えますが、会議は変更できなくなり、もう一度連携するか"
    "各ユーザーが自分のアカウントと連携するまで、新しいURLは発行されません。",
    "The organisation is linked with {provider}.": "組織を{provider}と連携しました。",
    "Own link (it wins)": "本人の連携（優先）",
    "Not looked up yet": "未確認",
    "Served by the organisation": "組織の連携で発行",
    "Not in the organisation": "組織に所属していません",
}


class Translator:
    """Texts and times in one language (``ja`` or ``en``)."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else "en"

    def gettext(self, key: str) -> str:
        """The text for ``key`` (the key itself when nothing is known)."""
        english = CODES.get(key, key)
        if self.language == "ja":
            return JA.get(english, english)
        return english

    def say(self, key: str, params: dict[str, Any] | None = None) -> str:
        """The text of a message: a code of meetlink's catalogue (``meetlink.messages``: the
        library's own errors and notices, with their parameters) or one of the demo's keys."""
        if key in messages.CATALOGUE:
            return messages.text(key, self.language, **(params or {}))
        return self.gettext(key).format(**(params or {}))

    def when(self, value: datetime) -> str:
        """A moment in Japan time, as each language writes it."""
        local = value.astimezone(_ZONE)
        if self.language == "ja":
            weekday = _WEEKDAYS_JA[local.weekday()]
            return f"{local.year}年{local.month}月{local.day}日({weekday}) {local:%H:%M}"
        return f"{local:%a} {local.day} {local:%b %Y %H:%M}"


def preferred_language(accept_language: str) -> str:
    """``ja`` when the browser prefers Japanese (its first language), else ``en``."""
    first = accept_language.split(",", 1)[0].strip().lower()
    return "ja" if first.startswith("ja") else "en"
