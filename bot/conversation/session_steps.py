"""The office's conversation about sessions: plan one step by step, postpone, conclude, and
read the broadcast progress and the speakers' list. Channel-agnostic, like the rest of the
conversation: every step is text or a numbered choice ("s:..." values)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

from bot import sessions, texts
from bot.clock import VN_TZ, to_local
from bot.errors import NotFound, ValidationError
from bot.messages import Choice, Reply
from bot.model import AFTERNOON_START, MORNING_START, DialogueSession, Role, SessionState
from bot.moderation import Officer
from bot.ports import ConversationState, Tx
from bot.texts import date_text, esc, when_text
from nlp.labels import FIELDS

STEPS = frozenset({
    "ses_title", "ses_date", "ses_slot", "ses_place", "ses_chair", "ses_fields", "ses_cutoff",
    "ses_lead", "ses_confirm", "ses_conclusion", "ses_conclude_ok", "ses_postpone_date",
    "ses_postpone_slot", "ses_postpone_ok",
})  # fmt: skip
COMMANDS = frozenset({"newsession", "sessions", "broadcasts", "speakers", "conclude", "postpone"})
IDLE = "idle"
_DATE = re.compile(r"^\s*(\d{1,2})\s*[/.-]\s*(\d{1,2})(?:\s*[/.-]\s*(\d{2,4}))?")
_TIME = re.compile(r"(\d{1,2})\s*(?:[:hg]\s*(\d{2})?)?\s*$", re.IGNORECASE)


def commune_of(who: Officer) -> int | None:
    """The commune an office or Front officer plans sessions for."""
    for role in who.roles:
        if role.role in (Role.OFFICE, Role.FRONT) and role.commune_code is not None:
            return role.commune_code
    return None


def parse_date(text: str, today: date) -> date | None:
    match = _DATE.match(text)
    if not match:
        return None
    day, month, year = int(match[1]), int(match[2]), match[3]
    full_year = int(year) + (2000 if len(year) == 2 else 0) if year else today.year
    try:
        parsed = date(full_year, month, day)
    except ValueError:
        return None
    if not year and parsed < today:  # "15/1" in December is next January
        parsed = parsed.replace(year=parsed.year + 1)
    return parsed


def parse_time(text: str) -> time | None:
    match = _TIME.search(text.strip())
    if not match:
        return None
    hour, minute = int(match[1]), int(match[2] or 0)
    return time(hour, minute) if hour < 24 and minute < 60 else None


def _at(day: date, clock_time: time) -> datetime:
    return datetime.combine(day, clock_time, tzinfo=VN_TZ)


def command(
    tx: Tx, who: Officer, state: ConversationState, name: str, args: str, now: datetime
) -> list[Reply]:
    commune = commune_of(who)
    if commune is None:
        return [Reply(texts.NO_COMMUNE_ROLE)]
    if name == "newsession":
        state.step, state.data = "ses_title", {"commune": commune}
        return [Reply(texts.ASK_SESSION_TITLE)]
    if name == "sessions":
        return [_list(tx, commune)]
    if name == "broadcasts":
        return [_broadcasts(tx, commune, now)]
    session = _pick(tx, commune, args, now, name)
    if session is None or session.id is None:
        return [Reply(texts.SESSION_NOT_FOUND)]
    if name == "speakers":
        return [_speakers(tx, session)]
    if name == "conclude":
        state.step, state.data = "ses_conclusion", {"session": session.id}
        return [Reply(texts.ASK_CONCLUSION.format(title=esc(session.title),
                                                  date=date_text(session.starts_at)))]  # fmt: skip
    state.step, state.data = "ses_postpone_date", {"session": session.id}
    return [Reply(texts.ASK_POSTPONE_DATE.format(title=esc(session.title),
                                                 when=when_text(session.starts_at)))]  # fmt: skip


def _pick(tx: Tx, commune: int, args: str, now: datetime, name: str) -> DialogueSession | None:
    """The session named by number, else the one the command is most likely about."""
    if args.strip().isdigit():
        session = tx.session_get(int(args.strip()))
        return session if session is not None and session.commune_code == commune else None
    listed = tx.sessions_list(commune)
    if name == "conclude":
        held = [s for s in listed if s.state is SessionState.HELD and s.concluded_at is None]
        return held[-1] if held else None
    upcoming = [s for s in listed if s.starts_at > now]
    return upcoming[0] if upcoming else (listed[-1] if listed and name == "speakers" else None)


def step(
    tx: Tx, who: Officer, state: ConversationState, text: str, choice: str, now: datetime
) -> list[Reply]:
    """One answer in a session dialogue: text typed, or a choice ("s:...") pressed."""
    data, today = state.data, to_local(now).date()
    value = choice.removeprefix("s:") if choice else ""
    if state.step == "ses_title":
        return _next(state, "ses_date", {"title": text[:300]}, Reply(texts.ASK_SESSION_DATE))
    if state.step in ("ses_date", "ses_postpone_date"):
        day = parse_date(text, today)
        if day is None or day <= today:
            return [Reply(texts.BAD_DATE)]
        following = "ses_slot" if state.step == "ses_date" else "ses_postpone_slot"
        return _next(state, following, {"day": day.isoformat()}, _ask_slot())
    if state.step in ("ses_slot", "ses_postpone_slot"):
        start = {"morning": MORNING_START, "afternoon": AFTERNOON_START}.get(value)
        start = start or parse_time(text)
        if start is None:
            return [_ask_slot(texts.BAD_TIME)]
        starts_at = _at(date.fromisoformat(data["day"]), start).isoformat()
        if state.step == "ses_postpone_slot":
            return _confirm_postpone(tx, state, datetime.fromisoformat(starts_at))
        return _next(state, "ses_place", {"starts_at": starts_at}, Reply(texts.ASK_SESSION_PLACE))
    if state.step == "ses_place":
        return _next(state, "ses_chair", {"place": text[:300]}, Reply(texts.ASK_SESSION_CHAIR))
    if state.step == "ses_chair":
        ask = Reply(texts.ASK_SESSION_FIELDS, (Choice(texts.SKIP, "s:skip"),))
        return _next(state, "ses_fields", {"chair": text[:300]}, ask)
    if state.step == "ses_fields":
        fields = "" if value == "skip" else text[:500]
        default = datetime.fromisoformat(data["starts_at"]).date() - timedelta(days=2)
        label = texts.CUTOFF_DEFAULT.format(date=f"{default:%d/%m/%Y}")
        ask = Reply(texts.ASK_SESSION_CUTOFF, (Choice(label, "s:default"),))
        return _next(state, "ses_cutoff", {"fields": fields}, ask)
    if state.step == "ses_cutoff":
        if value == "default":
            day = datetime.fromisoformat(data["starts_at"]).date() - timedelta(days=2)
            cutoff = _at(day, time(11, 0))
        else:
            day_part = parse_date(text, today)
            hour = parse_time(text.split()[-1]) if len(text.split()) > 1 else time(11, 0)
            if day_part is None or hour is None:
                return [Reply(texts.BAD_CUTOFF)]
            cutoff = _at(day_part, hour)
        ask = Reply(texts.ASK_SESSION_LEAD, (Choice(texts.LEAD_DEFAULT, "s:7"),))
        return _next(state, "ses_lead", {"cutoff_at": cutoff.isoformat()}, ask)
    if state.step == "ses_lead":
        raw = value or text.strip()
        if not raw.isdigit() or not 1 <= int(raw) <= 60:
            return [Reply(texts.BAD_LEAD)]
        state.data = {**data, "lead": int(raw)}
        return _confirm_new(state)
    if state.step == "ses_confirm":
        return _finish_new(tx, who, state, value, now)
    if state.step == "ses_conclusion":
        count = _residents(tx, int(data["session"]))
        state.step, state.data = "ses_conclude_ok", {**data, "text": text[:3500]}
        return [Reply(texts.CONFIRM_CONCLUSION.format(count=count, text=esc(text[:3500])),
                      _yes_no())]  # fmt: skip
    if state.step == "ses_conclude_ok":
        return _finish_conclusion(tx, who, state, value, now)
    return _finish_postpone(tx, who, state, value, now)


def _next(state: ConversationState, step_name: str, values: dict, reply: Reply) -> list[Reply]:
    state.step, state.data = step_name, {**state.data, **values}
    return [reply]


def _ask_slot(prefix: str = "") -> Reply:
    text = (prefix + "\n" if prefix else "") + texts.ASK_SESSION_SLOT
    return Reply(text, (Choice(texts.SLOT_MORNING, "s:morning"),
                        Choice(texts.SLOT_AFTERNOON, "s:afternoon")))  # fmt: skip


def _yes_no() -> tuple[Choice, ...]:
    return (Choice(texts.CONFIRM, "s:ok"), Choice(texts.CANCEL, "s:no"))


def _draft(data: dict) -> DialogueSession:
    return DialogueSession(
        id=None,
        commune_code=int(data["commune"]),
        title=data["title"],
        starts_at=datetime.fromisoformat(data["starts_at"]),
        place=data["place"],
        chair=data["chair"],
        cutoff_at=datetime.fromisoformat(data["cutoff_at"]),
        fields=data.get("fields", ""),
        lead_days=int(data.get("lead", 7)),
    )


def _confirm_new(state: ConversationState) -> list[Reply]:
    draft = _draft(state.data)
    state.step = "ses_confirm"
    text = texts.CONFIRM_SESSION.format(
        info=sessions.session_info(draft),
        announce=when_text(draft.announce_at),
        lead=draft.lead_days,
    )
    return [Reply(text, _yes_no())]


def _finish_new(
    tx: Tx, who: Officer, state: ConversationState, value: str, now: datetime
) -> list[Reply]:
    if value != "ok":
        state.step, state.data = IDLE, {}
        return [Reply(texts.CANCELLED)]
    draft = _draft(state.data)
    try:
        queued = sessions.plan(tx, draft, now, who.actor)
    except ValidationError as err:
        state.step, state.data = IDLE, {}
        return [Reply(esc(err.user_message) + "\n/newsession")]
    state.step, state.data = IDLE, {}
    if draft.announce_at <= now:
        return [Reply(texts.SESSION_PLANNED_NOW.format(id=draft.id, count=queued))]
    return [Reply(texts.SESSION_PLANNED.format(id=draft.id, announce=when_text(draft.announce_at)))]


def _residents(tx: Tx, session_id: int) -> int:
    session = tx.session_get(session_id)
    return tx.residents_count(session.commune_code) if session else 0


def _finish(state: ConversationState, value: str, act: Callable[[dict], Reply]) -> list[Reply]:
    """The confirmation step: leave the dialogue, then act if confirmed."""
    data = state.data
    state.step, state.data = IDLE, {}
    if value != "ok":
        return [Reply(texts.CANCELLED)]
    try:
        return [act(data)]
    except (ValidationError, NotFound) as err:
        return [Reply(esc(getattr(err, "user_message", texts.SESSION_NOT_FOUND)))]


def _finish_conclusion(
    tx: Tx, who: Officer, state: ConversationState, value: str, now: datetime
) -> list[Reply]:
    def act(data: dict) -> Reply:
        queued = sessions.conclude(tx, who.actor, int(data["session"]), data["text"], now)
        return Reply(texts.CONCLUSION_SENT.format(count=queued))

    return _finish(state, value, act)


def _confirm_postpone(tx: Tx, state: ConversationState, starts_at: datetime) -> list[Reply]:
    session = tx.session_get(int(state.data["session"]))
    if session is None:
        state.step, state.data = IDLE, {}
        return [Reply(texts.SESSION_NOT_FOUND)]
    new_cutoff = session.cutoff_at + (starts_at - session.starts_at)
    state.step, state.data = "ses_postpone_ok", {**state.data, "starts_at": starts_at.isoformat()}
    text = texts.CONFIRM_POSTPONE.format(
        title=esc(session.title), old=when_text(session.starts_at), new=when_text(starts_at),
        old_cutoff=when_text(session.cutoff_at), new_cutoff=when_text(new_cutoff),
    )  # fmt: skip
    return [Reply(text, _yes_no())]


def _finish_postpone(
    tx: Tx, who: Officer, state: ConversationState, value: str, now: datetime
) -> list[Reply]:
    def act(data: dict) -> Reply:
        starts_at = datetime.fromisoformat(data["starts_at"])
        queued = sessions.edit(tx, who.actor, int(data["session"]), now, starts_at=starts_at)[2]
        told = (texts.SESSION_CHANGED_TOLD.format(count=queued) if queued
                else texts.SESSION_CHANGED_QUIET)  # fmt: skip
        return Reply(texts.SESSION_CHANGED.format(told=told))

    return _finish(state, value, act)


def _list(tx: Tx, commune: int) -> Reply:
    listed = tx.sessions_list(commune)
    if not listed:
        return Reply(texts.SESSIONS_EMPTY)
    name = tx.commune_get(commune)
    text = texts.SESSIONS_HEADER.format(commune=esc(name.name if name else commune))
    for s in listed[-10:]:
        text += texts.SESSIONS_ITEM.format(
            id=s.id, state=texts.SESSION_STATE_NAMES[s.state.value], title=esc(s.title),
            when=when_text(s.starts_at), cutoff=when_text(s.cutoff_at),
        )  # fmt: skip
    return Reply(text + texts.SESSIONS_HINT)


def _broadcasts(tx: Tx, commune: int, now: datetime) -> Reply:
    progress = tx.broadcasts_progress(commune)
    if not progress:
        return Reply(texts.BROADCASTS_EMPTY)
    text = texts.BROADCASTS_HEADER
    for b in progress:
        eta = ""
        if b.waiting:
            eta = texts.BROADCAST_ETA.format(minutes=max(1, round(b.waiting / 30 / 60)))
        text += texts.BROADCAST_ITEM.format(
            kind=texts.BROADCAST_KINDS.get(b.kind, b.kind), session=b.session_id or "–",
            created=when_text(b.created_at), sent=b.sent, recipients=b.recipients,
            waiting=b.waiting, failed=b.failed, eta=eta,
        )  # fmt: skip
    return Reply(text)


def _speakers(tx: Tx, session: DialogueSession) -> Reply:
    assert session.id is not None
    listed = tx.speakers_list(session.id)
    day = date_text(session.starts_at)
    if not listed:
        return Reply(texts.SPEAKERS_EMPTY.format(title=esc(session.title), date=day))
    text = texts.SPEAKERS_HEADER.format(title=esc(session.title), date=day)
    for n, sp in enumerate(listed, start=1):
        org = texts.ORGANISATION_SHORT.get(sp.organisation, "")
        text += texts.SPEAKERS_ITEM.format(
            n=n, name=esc(sp.full_name or "(đã xóa dữ liệu)"), village=esc(sp.village_name),
            org=f" · {org}" if org else "", code=sp.ref_code,
            topic=esc(FIELDS.get(sp.topic or "", sp.topic or "")),
            preview=esc(" ".join(sp.text.split())[:120]),
        )  # fmt: skip
    return Reply(text)
