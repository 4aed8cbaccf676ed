"""Dialogue sessions: planning, changes, the jobs that announce them, and speaking turns.

The database is the source of truth for what must happen when. `jobs_of(session)` derives a
session's jobs from its dates; `run_due` fires every job that is due and has not fired, each
inside the same transaction as its effects and with a unique row in `session_jobs`, so a
restart, a clock jump or a second bot process can never fire one twice. The scheduler
(`bot/schedule.py`) only decides when to call `run_due`.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot import texts
from bot.clock import iso
from bot.errors import DuplicateKey, NotFound, ValidationError
from bot.messages import Choice, Reply
from bot.model import (
    DialogueSession,
    Opinion,
    OpinionState,
    Resident,
    SessionState,
)
from bot.ports import Tx
from bot.texts import date_text, esc, when_text

log = logging.getLogger(__name__)

SYSTEM = "system"
# Jobs that only remind: pointless before the announcement and after what they remind of.
REMINDERS = frozenset({"cutoff_reminder", "session_reminder"})
NEWS = frozenset({"announce", "change"})  # what tells residents everything about the session
# Opinions that wait for a session and are offered to the next one planned.
WAITING_STATES = (OpinionState.PENDING_REVIEW.value, OpinionState.APPROVED.value)
# An opinion on the agenda: its author may ask to speak about it.
AGENDA_STATES = frozenset(
    {OpinionState.APPROVED, OpinionState.ASSIGNED, OpinionState.ANSWERED, OpinionState.DELIVERED}
)
KIND_ORDER = ("announce", "cutoff_reminder", "close", "session_reminder", "held", "conclusion")


@dataclass(frozen=True)
class Job:
    """Something to do for a session at `due_at`; too late from `expires_at` on (skipped)."""

    kind: str
    edition: str  # what the job is about: a moved date makes a new job, a fired one stays fired
    due_at: datetime
    expires_at: datetime | None = None


def jobs_of(session: DialogueSession) -> list[Job]:
    """Every job of a session, in the order they are due."""
    s = session
    day = timedelta(days=1)
    jobs = [
        Job("announce", "", s.announce_at, s.starts_at),
        Job("cutoff_reminder", iso(s.cutoff_at), s.cutoff_at - day, s.cutoff_at),
        Job("close", iso(s.cutoff_at), s.cutoff_at),
        Job("session_reminder", iso(s.starts_at), s.starts_at - day, s.starts_at),
        Job("held", iso(s.starts_at), s.starts_at),
    ]
    if s.concluded_at is not None:
        jobs.append(Job("conclusion", "", s.concluded_at))
    return sorted(jobs, key=lambda j: (j.due_at, KIND_ORDER.index(j.kind)))


def pending_jobs(session: DialogueSession, done: set[tuple[str, str]]) -> list[Job]:
    return [j for j in jobs_of(session) if (j.kind, j.edition) not in done]


# -- planning and changes ----------------------------------------------------------------------
def plan(tx: Tx, session: DialogueSession, now: datetime, actor: str = SYSTEM) -> int:
    """Create a session; opinions waiting for one are given to it. Returns the messages queued
    (a session planned less than its lead time ahead is announced at once)."""
    if tx.commune_get(session.commune_code) is None:
        raise ValidationError(f"Xã/phường {session.commune_code} không thuộc hệ thống này.")
    session.check()
    if session.cutoff_at <= now:
        raise ValidationError("Hạn chót gửi ý kiến phải ở tương lai.")
    session.state = SessionState.PLANNED
    session.id = tx.session_add(session, now)
    adopted = tx.opinions_adopt(session.commune_code, session.id, WAITING_STATES)
    tx.session_event_add(session.id, actor, "created", f"{adopted} opinions adopted", now)
    return run_session(tx, session, now)


@dataclass(frozen=True)
class Change:
    field: str
    old: str
    new: str


def edit(
    tx: Tx,
    actor: str,
    session_id: int,
    now: datetime,
    *,
    title: str | None = None,
    place: str | None = None,
    chair: str | None = None,
    fields: str | None = None,
    starts_at: datetime | None = None,
    cutoff_at: datetime | None = None,
    lead_days: int | None = None,
) -> tuple[DialogueSession, list[Change], int]:
    """Change a session before it is held; if residents were told about it, they are told
    of the change. A new start without a new cut-off keeps the cut-off's distance to it
    (a postponement). Returns the session, what changed and the messages queued."""
    session = tx.session_get(session_id)
    if session is None:
        raise NotFound(f"session {session_id}")
    if session.state in (SessionState.HELD, SessionState.CONCLUDED):  # not even the place
        raise ValidationError("Hội nghị đã diễn ra, không thể thay đổi.")
    before, old_start = _describe(session), session.starts_at
    for name, value in (("title", title), ("place", place), ("chair", chair),
                        ("fields", fields)):  # fmt: skip
        if value is not None:
            setattr(session, name, value.strip())
    if lead_days is not None:
        session.lead_days = lead_days
    if starts_at is not None and cutoff_at is None:
        cutoff_at = session.cutoff_at + (starts_at - session.starts_at)
    new_start, new_cutoff = starts_at or session.starts_at, cutoff_at or session.cutoff_at
    done = tx.session_jobs_done(session_id)
    told = ("announce", "") in done
    if (new_start, new_cutoff) != (session.starts_at, session.cutoff_at):
        if new_cutoff <= now:
            raise ValidationError("Hạn chót gửi ý kiến mới phải ở tương lai.")
        session.reschedule(new_start, new_cutoff, now, told)
    session.check()
    after = _describe(session)
    changes = [Change(k, before[k], after[k]) for k in after if before[k] != after[k]]
    if not changes and lead_days is None:
        return session, [], 0
    session.revision += 1
    tx.session_update(session)
    detail = "; ".join(f"{c.field}: {c.old} -> {c.new}" for c in changes)
    tx.session_event_add(session_id, actor, "edited", detail or "lead time", now)
    queued = 0
    if told and changes:
        postponed = session.starts_at > old_start
        text = texts.CHANGE_NOTICE.format(
            what=texts.CHANGE_WHAT_POSTPONED if postponed else texts.CHANGE_WHAT_EDITED,
            commune=esc(_commune_name(tx, session)),
            changes="".join(
                texts.CHANGE_LINE.format(label=texts.CHANGE_LABELS[c.field], old=esc(c.old),
                                         new=esc(c.new))
                for c in changes
            ),
            info=session_info(session),
        )  # fmt: skip
        queued += _broadcast_job(tx, session, Job("change", str(session.revision), now), now,
                                 Reply(text, _resident_buttons()), actor)  # fmt: skip
    return session, changes, queued + run_session(tx, session, now)


def _describe(session: DialogueSession) -> dict[str, str]:
    return {
        "title": session.title,
        "starts_at": when_text(session.starts_at),
        "place": session.place,
        "chair": session.chair,
        "fields": session.fields,
        "cutoff_at": when_text(session.cutoff_at),
    }


def conclude(tx: Tx, actor: str, session_id: int, conclusion: str, now: datetime) -> int:
    """Publish the conclusion notice of a session that was held; every resident is told."""
    session = tx.session_get(session_id)
    if session is None:
        raise NotFound(f"session {session_id}")
    if session.state is SessionState.CONCLUDED or session.concluded_at is not None:
        raise ValidationError("Hội nghị này đã có thông báo kết luận.")
    if now < session.starts_at:
        raise ValidationError("Hội nghị chưa diễn ra, chưa thể thông báo kết luận.")
    if not conclusion.strip():
        raise ValidationError("Nội dung kết luận không được để trống.")
    session.conclusion, session.concluded_at = conclusion.strip(), now
    tx.session_update(session)
    tx.session_event_add(session_id, actor, "concluded", "", now)
    return run_session(tx, session, now)


# -- the jobs ----------------------------------------------------------------------------------
def run_due(tx: Tx, now: datetime) -> int:
    """Fire every job due by `now` that has not fired; returns the messages queued."""
    return sum(run_session(tx, session, now) for session in tx.sessions_live())


def next_due(tx: Tx, now: datetime) -> datetime | None:
    """When the earliest job not yet fired is due (for the scheduler's alarm)."""
    times: list[datetime] = []
    for session in tx.sessions_live():
        assert session.id is not None
        done = set(tx.session_jobs_done(session.id))
        times.extend(j.due_at for j in pending_jobs(session, done)[:1])
    return min(times, default=None)


def run_session(tx: Tx, session: DialogueSession, now: datetime) -> int:
    assert session.id is not None
    queued = 0
    fired = tx.session_jobs_done(session.id)
    for job in pending_jobs(session, set(fired)):
        if job.due_at > now:
            break
        queued += _fire(tx, session, job, fired, now)
        fired[(job.kind, job.edition)] = now
    if session.state is SessionState.ANNOUNCED:
        bid = tx.session_job_broadcast_id(session.id, "announce", "")
        if bid is None or tx.broadcast_waiting(bid) == 0:  # everyone has been told
            _move(tx, session, SessionState.COLLECTING, now)
    return queued


def _fire(
    tx: Tx, session: DialogueSession, job: Job, fired: dict[tuple[str, str], datetime],
    now: datetime,
) -> int:  # fmt: skip
    assert session.id is not None
    why = _skip_reason(job, fired, now)
    if why:
        if tx.session_job_claim(session.id, job.kind, job.edition, job.due_at, now, "skipped"):
            tx.session_event_add(session.id, SYSTEM, f"{job.kind} skipped", why, now)
            log.info("session %d: %s skipped (%s)", session.id, job.kind, why)
        return 0
    if job.kind in ("close", "held"):
        if not tx.session_job_claim(session.id, job.kind, job.edition, job.due_at, now, "done"):
            return 0
        target = SessionState.CLOSED if job.kind == "close" else SessionState.HELD
        if session.state is not target:
            _move(tx, session, target, now)
        return 0
    queued = _broadcast_job(tx, session, job, now, _notice(tx, session, job), SYSTEM)
    if job.kind == "announce" and session.state is SessionState.PLANNED:
        _move(tx, session, SessionState.ANNOUNCED, now)
    elif job.kind == "conclusion":
        _move(tx, session, SessionState.CONCLUDED, now)
    return queued


def _move(tx: Tx, session: DialogueSession, target: SessionState, now: datetime) -> None:
    """A state change the scheduler makes, stored and recorded in the session's history."""
    assert session.id is not None
    session.move_to(target)
    tx.session_update(session)
    tx.session_event_add(session.id, SYSTEM, "state", target.value, now)


def _skip_reason(job: Job, fired: dict[tuple[str, str], datetime], now: datetime) -> str:
    if job.expires_at is not None and now >= job.expires_at:
        return f"too late: due {iso(job.due_at)}, ran {iso(now)}"
    if job.kind in REMINDERS:
        news = [at for (kind, _), at in fired.items() if kind in NEWS]
        if not news:
            return "not announced"
        if max(news) >= job.due_at:
            return "the announcement went out after the reminder's time"
    return ""


def _broadcast_job(
    tx: Tx, session: DialogueSession, job: Job, now: datetime, reply: Reply, actor: str
) -> int:
    """Claim the job and queue its message to every resident, in one transaction."""
    assert session.id is not None
    if not tx.session_job_claim(session.id, job.kind, job.edition, job.due_at, now, "done"):
        return 0  # another process (or an earlier run) did it
    bid, recipients = tx.broadcast_create(
        session.commune_code, session.id, job.kind, reply.payload(), actor, now
    )
    tx.session_job_broadcast(session.id, job.kind, job.edition, bid)
    tx.session_event_add(session.id, actor, f"{job.kind} sent", f"{recipients} recipients", now)
    log.info("session %d: %s to %d residents", session.id, job.kind, recipients)
    return recipients


def _commune_name(tx: Tx, session: DialogueSession) -> str:
    commune = tx.commune_get(session.commune_code)
    return commune.name if commune else "UBND xã/phường"


def _resident_buttons() -> tuple[Choice, ...]:
    return (Choice(texts.SEND_OPINION, "menu:send"), Choice(texts.SEE_SESSION, "menu:session"))


def session_info(session: DialogueSession) -> str:
    fields = texts.SESSION_FIELDS.format(fields=esc(session.fields)) if session.fields else ""
    return texts.SESSION_INFO.format(
        title=esc(session.title),
        when=when_text(session.starts_at),
        place=esc(session.place),
        chair=esc(session.chair),
        cutoff=when_text(session.cutoff_at),
        fields=fields,
    )


def _notice(tx: Tx, session: DialogueSession, job: Job) -> Reply:
    commune = esc(_commune_name(tx, session))
    if job.kind == "announce":
        text = texts.ANNOUNCEMENT.format(
            commune=commune, info=session_info(session), cutoff=when_text(session.cutoff_at)
        )
        return Reply(text, _resident_buttons())
    if job.kind == "cutoff_reminder":
        text = texts.CUTOFF_REMINDER.format(
            title=esc(session.title), when=when_text(session.starts_at),
            cutoff=when_text(session.cutoff_at),
        )  # fmt: skip
        return Reply(text, (Choice(texts.SEND_OPINION, "menu:send"),))
    if job.kind == "session_reminder":
        text = texts.SESSION_REMINDER.format(
            when=when_text(session.starts_at), place=esc(session.place), commune=commune,
            title=esc(session.title),
        )  # fmt: skip
        return Reply(text)
    text = texts.CONCLUSION_NOTICE.format(
        title=esc(session.title), date=date_text(session.starts_at),
        conclusion=esc(session.conclusion),
    )  # fmt: skip
    return Reply(text)


# -- speaking registration ---------------------------------------------------------------------
@dataclass(frozen=True)
class SpeakOutcome:
    reply: Reply
    registered: bool = False


def speak(tx: Tx, resident: Resident, now: datetime, code: str = "") -> SpeakOutcome:
    """Register the resident to speak on one of their opinions on the next session's agenda."""
    assert resident.id is not None
    session = tx.session_upcoming(resident.commune_code, now)
    if session is None or session.id is None:
        return SpeakOutcome(Reply(texts.SPEAK_NO_SESSION))
    day = date_text(session.starts_at)
    existing = tx.speaker_of(session.id, resident.id)
    if existing is not None:
        place, ref = existing
        return SpeakOutcome(Reply(texts.SPEAK_ALREADY.format(date=day, code=ref, place=place)))
    mine = [
        o for o in tx.opinions_of_resident(resident.id, 50)
        if o.session_id == session.id and o.state in AGENDA_STATES
    ]  # fmt: skip
    if not mine:
        return SpeakOutcome(Reply(texts.SPEAK_NEEDS_OPINION.format(date=day)))
    chosen: Opinion | None = mine[0] if len(mine) == 1 else None
    if code:
        chosen = next((o for o in mine if o.ref_code == code), None)
    if chosen is None:
        choices = tuple(Choice(o.ref_code, f"speak:{o.ref_code}") for o in mine[:8])
        return SpeakOutcome(Reply(texts.SPEAK_PICK, choices))
    assert chosen.id is not None
    try:
        place = tx.speaker_add(session.id, resident.id, chosen.id, now)
    except DuplicateKey:  # a second tap on another device
        place, ref = tx.speaker_of(session.id, resident.id) or (0, chosen.ref_code)
        return SpeakOutcome(Reply(texts.SPEAK_ALREADY.format(date=day, code=ref, place=place)))
    reply = Reply(texts.SPEAK_REGISTERED.format(code=chosen.ref_code, date=day, place=place))
    return SpeakOutcome(reply, registered=True)
