"""Departments' answers, deadlines in working days, and the answer pushed back to residents.

An assigned opinion gets a deadline (N working days after its session) and goes to the
department's officers as a card. Their answer reaches the resident who raised it and every
resident whose opinion was merged into it, through the outbox, in the same unit of work that
records it: once. Where the commune wants it, the Front or the chair approves it first. The
resident says whether it satisfied them; "not satisfied" reopens it for the Front.
"""

from __future__ import annotations

import logging
import re
from datetime import date, datetime, timedelta

from bot import texts
from bot.cards import cards_for_new, front_chats
from bot.clock import to_local
from bot.messages import Choice, Reply
from bot.model import (
    ANSWER_MODE_NAMES,
    Answer,
    AnswerMode,
    Opinion,
    OpinionState,
    Resident,
    Role,
    StaffRole,
)
from bot.ports import OpinionEvent, Tx
from bot.services import enqueue
from bot.texts import esc
from bot.workdays import WorkingCalendar
from nlp.labels import FIELDS
from nlp.normalize import fold, redact

log = logging.getLogger(__name__)
S = OpinionState
REMIND_DAYS_LEFT = 2  # working days before the deadline the department is reminded
ESCALATE_AFTER = 5  # working days past the deadline the matter goes to the chair and admins
Notice = tuple[str, str, Reply]  # channel, chat id, message


def calendar(tx: Tx, commune_code: int) -> WorkingCalendar:
    return WorkingCalendar(tx.days_off(commune_code))


def set_deadline(tx: Tx, opinion: Opinion, now: datetime) -> None:
    """N working days after the opinion's session (or after today, if it has none)."""
    commune = tx.commune_get(opinion.commune_code)
    session = tx.session_get(opinion.session_id) if opinion.session_id else None
    base = to_local(session.starts_at if session and session.starts_at > now else now).date()
    opinion.due_on = calendar(tx, opinion.commune_code).add(base, commune.answer_days if commune
                                                            else 15)  # fmt: skip


def department_name(tx: Tx, opinion: Opinion) -> str:
    return dict(tx.departments_list(opinion.commune_code)).get(opinion.department or "", "")


def _officers(
    tx: Tx, commune_code: int, role: Role, department: str | None = None
) -> list[tuple[str, str]]:
    return tx.staff_with_role(commune_code, role, department)


def department_card(tx: Tx, opinion: Opinion) -> Reply:
    resident = tx.resident_get(opinion.resident_id)
    who = (
        f"{resident.full_name} · {resident.village_name}" if resident and resident.full_name else ""
    )
    due = f"{opinion.due_on:%d/%m/%Y}" if opinion.due_on else "—"
    text = texts.DEPARTMENT_CARD.format(
        code=opinion.ref_code, field=esc(FIELDS.get(opinion.topic or "khac", "")),
        who=esc(who), text=esc(redact(opinion.text)[:1500]), due=due,  # no phones for departments
        department=esc(department_name(tx, opinion)),
    )  # fmt: skip
    choices = tuple(Choice(name, f"d:{opinion.id}:{mode.value}")
                    for mode, name in ANSWER_MODE_NAMES.items())  # fmt: skip
    return Reply(text, (*choices, Choice(texts.EXTEND_BUTTON, f"d:{opinion.id}:extend")))


def on_assigned(tx: Tx, opinion: Opinion, now: datetime) -> list[Notice]:
    """The deadline, and the card to the department's officers."""
    set_deadline(tx, opinion, now)
    card = department_card(tx, opinion)
    return [(ch, key, card) for ch, key in
            _officers(tx, opinion.commune_code, Role.DEPARTMENT, opinion.department)]  # fmt: skip


def may_answer(roles: list[StaffRole], opinion: Opinion) -> bool:
    return any(
        r.role is Role.ADMIN
        or (r.commune_code == opinion.commune_code
            and (r.role in (Role.FRONT, Role.OFFICE)
                 or (r.role is Role.DEPARTMENT and r.department == opinion.department)))
        for r in roles
    )  # fmt: skip


def submit_answer(
    tx: Tx,
    officer: str,
    opinion: Opinion,
    mode: AnswerMode,
    text: str,
    now: datetime,
    expected: date | None = None,
    forwarded_to: str | None = None,
    attachments: tuple[str, ...] = (),
) -> tuple[str, list[Notice] | None]:
    """Record an answer; publish it, or send it for review. Returns (confirmation, notices);
    notices is None when the answer was refused (then nothing was recorded)."""
    if mode in (AnswerMode.IN_PROGRESS, AnswerMode.FORWARDED) and expected is None:
        return texts.ANSWER_NEEDS_DATE, None
    if any(a.status == "pending_review" for a in tx.answers_of(opinion.id or 0)):
        return texts.ANSWER_PENDING_EXISTS.format(code=opinion.ref_code), None
    commune = tx.commune_get(opinion.commune_code)
    review = bool(commune and commune.answer_review) and mode is not AnswerMode.IN_PROGRESS
    answer = Answer(
        None,
        opinion.id or 0,
        opinion.department,
        officer,
        mode,
        text.strip(),
        "pending_review" if review else "published",
        now,
        expected,
        forwarded_to,
        attachments,
    )
    answer.id = tx.answer_add(answer)
    if review:
        card = review_card(tx, opinion, answer)
        notices = [(ch, key, card) for role in (Role.FRONT, Role.OFFICE)
                   for ch, key in _officers(tx, opinion.commune_code, role)]  # fmt: skip
        return texts.ANSWER_SENT_FOR_REVIEW.format(code=opinion.ref_code), notices
    notices, unreached = publish(tx, opinion, answer, officer, now)
    return published_text(opinion.ref_code, unreached), notices


def review_card(tx: Tx, opinion: Opinion, answer: Answer) -> Reply:
    text = texts.REVIEW_CARD.format(
        code=opinion.ref_code, opinion=esc(opinion.text[:600]),
        department=esc(department_name(tx, opinion)), mode=esc(ANSWER_MODE_NAMES[answer.mode]),
        answer=esc(answer.text),
    )  # fmt: skip
    return Reply(text, (Choice("✅ Duyệt, gửi cử tri", f"r:{answer.id}:ok"),
                        Choice("↩ Trả lại đơn vị", f"r:{answer.id}:back")))  # fmt: skip


def review(tx: Tx, roles: list[StaffRole], officer: str, answer_id: int, ok: bool,
           now: datetime, reason: str = "") -> tuple[str, list[Notice]]:  # fmt: skip
    answer = tx.answer_get(answer_id)
    opinion = tx.opinion_get(answer.opinion_id) if answer else None
    if answer is None or opinion is None or not any(
        r.role is Role.ADMIN or (r.role in (Role.FRONT, Role.OFFICE)
                                 and r.commune_code == opinion.commune_code) for r in roles
    ):  # fmt: skip
        return texts.NOT_ALLOWED, []
    if answer.status != "pending_review":
        return texts.ANSWER_ALREADY_REVIEWED.format(code=opinion.ref_code), []
    if ok and opinion.state is not S.ASSIGNED:  # answered another way meanwhile
        tx.answer_set_status(answer_id, "returned", now)
        return texts.ANSWER_NOT_OPEN.format(
            code=opinion.ref_code, state=esc(texts.STATE_NAMES[opinion.state])), []  # fmt: skip
    if not tx.answer_set_status(answer_id, "published" if ok else "returned", now):
        return texts.ANSWER_ALREADY_REVIEWED.format(code=opinion.ref_code), []
    if not ok:
        back = Reply(texts.ANSWER_RETURNED.format(code=opinion.ref_code,
                                                  reason=esc(reason or "—")),
                     (Choice(texts.ANSWER_AGAIN, f"d:{opinion.id}"),))  # fmt: skip
        return texts.ANSWER_RETURNED_SAID.format(code=opinion.ref_code), [
            (ch, key, back) for ch, key in
            _officers(tx, opinion.commune_code, Role.DEPARTMENT, opinion.department)]  # fmt: skip
    notices, unreached = publish(tx, opinion, answer, officer, now)
    return published_text(opinion.ref_code, unreached), notices


def _event(
    tx: Tx, opinion: Opinion, before: OpinionState, actor: str, reason: str, now: datetime
) -> None:
    assert opinion.id is not None
    opinion.version += 1
    opinion.updated_at = now
    tx.opinion_update(opinion)
    tx.opinion_events_add([OpinionEvent(opinion.id, before, opinion.state, actor, reason, now)])


def publish(
    tx: Tx, opinion: Opinion, answer: Answer, actor: str, now: datetime
) -> tuple[list[Notice], list[str]]:
    """The answer to the resident and to every resident whose opinion was merged into it.

    Returns the notices and the codes whose resident nobody can reach (erased their data,
    or blocked the bot everywhere): those are recorded as answered in the file, not as
    delivered, and the officer is told so."""
    assert answer.id is not None
    tx.answer_publish(answer.id, now)
    department = department_name(tx, opinion)
    summary = f"{ANSWER_MODE_NAMES[answer.mode]} ({department})"
    notices: list[Notice] = []
    unreached: list[str] = []
    if not answer.final and answer.expected_on:  # followed up on the date promised
        opinion.due_on = answer.expected_on
    for member in [opinion, *tx.merged_members(opinion.id or 0)]:
        if member is not opinion and member.state is not S.MERGED:
            continue  # reopened on its own: it waits for its own answer
        sent = _to_resident(tx, member, answer, department)
        notices += sent
        if not sent:
            unreached.append(member.ref_code)
        before = member.state
        own = member is opinion
        if answer.final:
            if own:
                member.transition(S.ANSWERED, now)
            if sent:
                member.transition(S.DELIVERED, now)
            else:
                if not own:
                    member.transition(S.ANSWERED, now)
        reason = summary if own else f"Nhận câu trả lời của {opinion.ref_code}"
        if not answer.final:
            expected = f"{answer.expected_on:%d/%m/%Y}" if answer.expected_on else "—"
            reason += f", dự kiến {expected}"
        if not sent:
            reason += "; " + texts.ANSWER_KEPT_IN_FILE
        _event(tx, member, before, actor, reason, now)
    return notices, unreached


def published_text(code: str, unreached: list[str]) -> str:
    """What the officer who published is told: the truth about who received it."""
    said = texts.ANSWER_PUBLISHED.format(code=code)
    if unreached:
        said += "\n" + texts.ANSWER_UNREACHED.format(codes=", ".join(unreached))
    return said


def _to_resident(tx: Tx, opinion: Opinion, answer: Answer, department: str) -> list[Notice]:
    details = ""
    if answer.mode is AnswerMode.FORWARDED:
        details = texts.ANSWER_FORWARDED_DETAIL.format(
            body=esc(answer.forwarded_to or ""), by=f"{answer.expected_on:%d/%m/%Y}"
        )
    elif answer.mode is AnswerMode.IN_PROGRESS:
        details = texts.ANSWER_IN_PROGRESS_DETAIL.format(by=f"{answer.expected_on:%d/%m/%Y}")
    text = texts.RESIDENT_ANSWER.format(
        code=opinion.ref_code, department=esc(department), mode=esc(ANSWER_MODE_NAMES[answer.mode]),
        answer=esc(answer.text), details=details,  # whole: the channel splits long texts
    )  # fmt: skip
    choices = (
        ()
        if not answer.final
        else (
            Choice("😊 Hài lòng", f"sat:{opinion.id}:1"),
            Choice("😞 Chưa hài lòng", f"sat:{opinion.id}:0"),
        )
    )
    reply = Reply(text, choices, answer.attachments)  # the scanned letter goes along
    return [(ch, chat, reply) for ch, chat in tx.identities_of(opinion.resident_id)]


RATING_WINDOW = timedelta(days=30)  # after the answer, the resident's last word counts


def rating_open(tx: Tx, opinion: Opinion, now: datetime) -> bool:
    """Was an answer delivered to this opinion within the rating window, and is the
    opinion still where a rating can move it (delivered, closed, or reopened by its
    resident with nothing done since)?"""
    history = tx.opinion_history(opinion.id or 0)
    delivered = [e for e in history if e.to_state is S.DELIVERED]
    if not delivered or now - delivered[-1].at > RATING_WINDOW:
        return False
    if opinion.state in (S.DELIVERED, S.CLOSED):
        return True
    last = history[-1]
    return opinion.state is S.PENDING_REVIEW and last.actor.startswith("resident:")


def satisfaction(tx: Tx, resident: Resident, opinion_id: int, satisfied: bool, comment: str,
                 now: datetime) -> tuple[str, list[Notice]]:  # fmt: skip
    """The resident's word on the answer, a small state machine: within the rating window
    the last press counts. "Not satisfied" (with its reason) reopens the opinion for the
    Front; "satisfied" closes it, also after a "not satisfied" nobody has acted on yet."""
    opinion = tx.opinion_get(opinion_id)
    if opinion is None or opinion.resident_id != resident.id or resident.id is None:
        return texts.STALE_CHOICE, []
    if not rating_open(tx, opinion, now):
        return texts.SATISFACTION_ALREADY.format(code=opinion.ref_code), []
    last = tx.satisfaction_last(opinion_id)
    if last is satisfied and not (comment and not satisfied):
        return texts.SATISFACTION_ALREADY.format(code=opinion.ref_code), []
    tx.satisfaction_add(opinion_id, resident.id, satisfied, comment, now)
    before = opinion.state
    actor = f"resident:{resident.id}"
    if satisfied:
        opinion.transition(S.CLOSED, now)
        _event(tx, opinion, before, actor, "Cử tri hài lòng", now)
        if before is S.PENDING_REVIEW:  # changed their mind: the Front need not act
            note = Reply(texts.FRONT_SATISFIED_AFTER_ALL.format(code=opinion.ref_code))
            return texts.THANKS_SATISFIED.format(code=opinion.ref_code), [
                (ch, chat, note) for ch, chat in front_chats(tx, opinion.commune_code)]  # fmt: skip
        return texts.THANKS_SATISFIED.format(code=opinion.ref_code), []
    # The reason stays in `satisfaction` (scrubbed on erasure), not in the append-only history.
    reason = "Cử tri chưa hài lòng" + (" (có nêu lý do)" if comment else "")
    if before is not S.PENDING_REVIEW:
        opinion.transition(S.PENDING_REVIEW, now)
    if opinion.merged_into:  # reopened on its own: out of the group, its own card and answer
        head = tx.opinion_get(opinion.merged_into)
        reason += f"; tách khỏi nhóm {head.ref_code if head else opinion.merged_into}"
        opinion.merged_into = None
    _event(tx, opinion, before, actor, reason, now)
    note = Reply(texts.FRONT_UNSATISFIED.format(code=opinion.ref_code, comment=esc(comment or "—")))
    cards = cards_for_new(tx, opinion)
    notices = [(ch, chat, note) for ch, chat, _ in cards] + cards
    return texts.THANKS_UNSATISFIED.format(code=opinion.ref_code), notices


def typed_rating(text: str) -> bool | None:
    """A rating typed right after an answer: True, False, or None when it is not clearly
    one ("Tôi chưa hài lòng vì …" is False with its reason)."""
    folded = fold(text)
    if re.search(r"\b(chua|khong|ko|k|cha)\s+(duoc\s+)?hai\s*long\b", folded):
        return False
    words = folded.split()
    if len(words) <= 8 and ("hai long" in folded or folded.startswith("cam on")):
        return True
    return None


MAX_EXTENSION = timedelta(days=30)  # "up to 30 days in complex cases" (the plans)


def request_extension(tx: Tx, officer: str, opinion: Opinion, until: date, reason: str,
                      now: datetime) -> tuple[str, list[Notice]]:  # fmt: skip
    """A department asks for more time on one opinion; the Front decides."""
    if opinion.state is not S.ASSIGNED or opinion.due_on is None or opinion.id is None:
        return texts.ANSWER_NOT_OPEN.format(
            code=opinion.ref_code, state=esc(texts.STATE_NAMES[opinion.state])), []  # fmt: skip
    if not opinion.due_on < until <= opinion.due_on + MAX_EXTENSION:
        limit = opinion.due_on + MAX_EXTENSION
        return texts.EXTEND_RANGE.format(due=f"{opinion.due_on:%d/%m/%Y}",
                                         limit=f"{limit:%d/%m/%Y}"), []  # fmt: skip
    tx.opinion_event_add(opinion.id, opinion.state, opinion.state, officer,
                         f"Xin gia hạn đến {until:%d/%m/%Y}: {reason}", now)  # fmt: skip
    stamp = f"{until:%Y%m%d}"
    department = esc(department_name(tx, opinion))
    card = Reply(
        texts.EXTEND_CARD.format(code=opinion.ref_code, department=department,
                                 due=f"{opinion.due_on:%d/%m/%Y}", until=f"{until:%d/%m/%Y}",
                                 reason=esc(reason)),
        (Choice(texts.EXTEND_OK, f"x:{opinion.id}:{stamp}:ok"),
         Choice(texts.EXTEND_NO, f"x:{opinion.id}:{stamp}:no")),
    )  # fmt: skip
    return texts.EXTEND_ASKED.format(code=opinion.ref_code), [
        (ch, chat, card) for ch, chat in front_chats(tx, opinion.commune_code)]  # fmt: skip


def decide_extension(tx: Tx, roles: list[StaffRole], officer: str, value: str,
                     now: datetime) -> tuple[str, list[Notice]]:  # fmt: skip
    """The Front's answer to `x:<opinion>:<yyyymmdd>:ok|no`; the resident hears a new date."""
    parts = value.split(":")
    opinion = tx.opinion_get(int(parts[1])) if len(parts) == 4 and parts[1].isdigit() else None
    try:
        until = date(int(parts[2][:4]), int(parts[2][4:6]), int(parts[2][6:8]))
    except (ValueError, IndexError):
        return texts.STALE_CHOICE, []
    if opinion is None or not any(
        r.role is Role.ADMIN or (r.role in (Role.FRONT, Role.OFFICE)
                                 and r.commune_code == opinion.commune_code) for r in roles
    ):  # fmt: skip
        return texts.NOT_ALLOWED, []
    if opinion.state is not S.ASSIGNED or opinion.due_on is None or until <= opinion.due_on:
        return texts.EXTEND_DONE_BEFORE.format(code=opinion.ref_code), []
    dept = _officers(tx, opinion.commune_code, Role.DEPARTMENT, opinion.department)
    if parts[3] != "ok":
        assert opinion.id is not None
        tx.opinion_event_add(opinion.id, opinion.state, opinion.state, officer,
                             f"Không đồng ý gia hạn đến {until:%d/%m/%Y}", now)  # fmt: skip
        told = Reply(texts.EXTEND_REFUSED.format(code=opinion.ref_code,
                                                 due=f"{opinion.due_on:%d/%m/%Y}"))
        return texts.EXTEND_REFUSED_SAID.format(code=opinion.ref_code), [
            (ch, chat, told) for ch, chat in dept]  # fmt: skip
    old = opinion.due_on
    opinion.due_on = until
    _event(tx, opinion, opinion.state, officer,
           f"Gia hạn trả lời: {old:%d/%m/%Y} → {until:%d/%m/%Y}", now)  # fmt: skip
    to_dept = Reply(texts.EXTEND_GRANTED.format(code=opinion.ref_code, until=f"{until:%d/%m/%Y}"))
    notices = [(ch, chat, to_dept) for ch, chat in dept]
    for member in [opinion, *tx.merged_members(opinion.id or 0)]:
        if member is opinion or member.state is S.MERGED:
            tell = Reply(texts.EXTEND_RESIDENT.format(code=member.ref_code,
                                                      until=f"{until:%d/%m/%Y}"))  # fmt: skip
            notices += [(ch, chat, tell) for ch, chat in tx.identities_of(member.resident_id)]
    return texts.EXTEND_GRANTED_SAID.format(code=opinion.ref_code,
                                            until=f"{until:%d/%m/%Y}"), notices  # fmt: skip


def check_deadlines(tx: Tx, now: datetime) -> list[Notice]:
    """Reminders before the deadline, the overdue notice, the escalation: each once."""
    today = to_local(now).date()
    notices: list[Notice] = []
    calendars: dict[int, WorkingCalendar] = {}  # one per commune for this check
    names: dict[int, dict[str, str]] = {}
    for opinion in tx.opinions_assigned_due():
        assert opinion.id is not None and opinion.due_on is not None
        code = opinion.commune_code
        cal = calendars.get(code) or calendars.setdefault(code, calendar(tx, code))
        left = cal.between(today, opinion.due_on)
        late = cal.between(opinion.due_on, today)
        if code not in names:
            names[code] = dict(tx.departments_list(code))
        name = names[code].get(opinion.department or "", opinion.department or "")
        due = f"{opinion.due_on:%d/%m/%Y}"
        # Once per deadline: a reassignment or a reopening sets a new one, told anew.
        key = f":{opinion.department}:{opinion.due_on.isoformat()}"
        answer_button = (Choice(texts.ANSWER_BUTTON, f"d:{opinion.id}"),)
        if 0 < left <= REMIND_DAYS_LEFT and tx.deadline_notice_once(opinion.id, "reminder" + key,
                                                                     now):  # fmt: skip
            msg = Reply(texts.DEADLINE_REMINDER.format(code=opinion.ref_code, due=due, left=left),
                        answer_button)  # fmt: skip
            notices += [
                (ch, chat, msg)
                for ch, chat in _officers(
                    tx, opinion.commune_code, Role.DEPARTMENT, opinion.department
                )
            ]
        if today > opinion.due_on and tx.deadline_notice_once(opinion.id, "overdue" + key, now):
            msg = Reply(
                texts.DEADLINE_OVERDUE.format(code=opinion.ref_code, due=due, department=esc(name))
            )
            late_msg = Reply(msg.text, answer_button)  # the department can answer from it
            notices += [
                (ch, chat, late_msg if role is Role.DEPARTMENT else msg)
                for role in (Role.OFFICE, Role.FRONT, Role.DEPARTMENT)
                for ch, chat in _officers(
                    tx,
                    opinion.commune_code,
                    role,
                    opinion.department if role is Role.DEPARTMENT else None,
                )
            ]
        if late >= ESCALATE_AFTER and tx.deadline_notice_once(opinion.id, "escalation" + key,
                                                               now):  # fmt: skip
            msg = Reply(
                texts.DEADLINE_ESCALATION.format(
                    code=opinion.ref_code, due=due, department=esc(name), late=late
                )
            )
            notices += [
                (ch, chat, msg)
                for role in (Role.OFFICE, Role.FRONT)
                for ch, chat in _officers(tx, opinion.commune_code, role)
            ]
            notices += [(ch, chat, msg) for ch, chat, r in tx.staff_all() if r.role is Role.ADMIN]
    return notices


def overdue_list(tx: Tx, roles: list[StaffRole], now: datetime) -> str:
    communes = {r.commune_code for r in roles if r.role in (Role.FRONT, Role.OFFICE)}
    departments = {(r.commune_code, r.department) for r in roles if r.role is Role.DEPARTMENT}
    admin = any(r.role is Role.ADMIN for r in roles)
    today = to_local(now).date()
    rows = [
        o
        for o in tx.opinions_assigned_due()
        if (admin or o.commune_code in communes or (o.commune_code, o.department) in departments)
        and o.due_on
        and o.due_on < today
    ]
    if not rows:
        return texts.NOTHING_OVERDUE
    lines = [texts.OVERDUE_HEADER.format(n=len(rows))]
    lines += [f"• <code>{o.ref_code}</code> · {esc(department_name(tx, o))}"
              f" · hạn {o.due_on:%d/%m/%Y}" for o in rows[:50]]  # fmt: skip
    return "\n".join(lines)


def record_meeting_opinion(tx: Tx, officer: str, commune_code: int, raised_by: str, text: str,
                           answer_text: str, now: datetime) -> Opinion:  # fmt: skip
    """An opinion raised orally at the meeting, with its answer, for the session's record."""
    from bot.model import Organisation, new_ref_code

    resident = Resident(
        None, commune_code, None, "", raised_by[:80], None, Organisation.NONE, now, now
    )
    resident.id = tx.resident_add(resident)
    held = [s for s in tx.sessions_list(commune_code) if s.starts_at <= now + timedelta(hours=12)]
    session = held[-1] if held else tx.session_upcoming(commune_code, now)  # the one just held
    opinion = Opinion(
        None,
        new_ref_code(),
        resident.id,
        commune_code,
        session.id if session else None,
        text,
        None,
        "meeting",
        S.RECEIVED,
        now,
        now,
        topic="khac",
        kind="kien_nghi",
    )
    for step in (S.SCREENED, S.PENDING_REVIEW, S.APPROVED, S.ASSIGNED, S.ANSWERED):
        opinion.transition(step, now)
    opinion.id = tx.opinion_add(opinion, None)
    tx.opinion_events_add(
        [
            OpinionEvent(
                opinion.id,
                None,
                S.ANSWERED,
                officer,
                f"Ghi nhận tại hội nghị; người nêu: {raised_by}",
                now,
            )
        ]
    )
    tx.answer_add(Answer(None, opinion.id, None, officer, AnswerMode.MEETING, answer_text,
                         "published", now))  # fmt: skip
    return opinion


def enqueue_deadline_notices(tx: Tx, now: datetime) -> int:
    """The periodic job: deadline notices into the outbox (the outbox loop sends them)."""
    return enqueue(tx, check_deadlines(tx, now), now)
