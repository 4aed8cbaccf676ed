"""The service layer: the business operations, each run inside one storage transaction.

Channel adapters never call these directly: the conversation engine does, and the terminal
commands for the office do (`await store.run(lambda tx: services.add_commune(tx, ...))`).
Every function takes the open transaction and the current time, and does no other I/O.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, replace
from datetime import datetime

from bot import communes as official_list
from bot import delivery, sessions
from bot.errors import DuplicateKey, NotFound, StorageError, ValidationError
from bot.messages import Reply
from bot.model import (
    Commune,
    DialogueSession,
    Opinion,
    OpinionState,
    Organisation,
    Resident,
    Village,
    new_ref_code,
)
from bot.ports import OpinionEvent, Tx
from bot.staff import seed_departments
from nlp.duplicates import similar
from nlp.labels import DIVERTED, FIELDS, KINDS, SCREENED_OUT
from nlp.normalize import find_folded, personal_data
from nlp.screening import Screener, Screening

SYSTEM = "system"


@dataclass(frozen=True)
class Registration:
    full_name: str
    commune_code: int
    village_id: int | None
    village_name: str
    phone: str | None
    organisation: Organisation
    consent_at: datetime
    consent_how: str = "button"


def register_resident(
    tx: Tx, channel: str, user_key: str, chat_id: str, reg: Registration, now: datetime
) -> Resident:
    if tx.commune_get(reg.commune_code) is None:
        raise NotFound(f"commune {reg.commune_code} is not served")
    resident = Resident(
        id=None,
        commune_code=reg.commune_code,
        village_id=reg.village_id,
        village_name=reg.village_name,
        full_name=reg.full_name,
        phone=reg.phone,
        organisation=reg.organisation,
        consent_at=reg.consent_at,
        created_at=now,
        consent_how=reg.consent_how,
    )
    resident.id = tx.resident_add(resident)
    tx.identity_add(channel, user_key, chat_id, resident.id, now)
    return resident


def submit_opinion(
    tx: Tx,
    resident: Resident,
    text: str,
    photo_ref: str | None,
    channel: str,
    source_event: str,
    screener: Screener,
    now: datetime,
) -> tuple[Opinion, DialogueSession | None]:
    """Store a new opinion for the commune's open session (or the next one), screened.

    `source_event` is unique in storage: the same incoming message never makes two opinions.
    """
    assert resident.id is not None
    session = tx.session_open(resident.commune_code, now)
    opinion = Opinion(
        id=None,
        ref_code=new_ref_code(),
        resident_id=resident.id,
        commune_code=resident.commune_code,
        session_id=session.id if session else None,
        text=text,
        photo_ref=photo_ref,
        channel=channel,
        state=OpinionState.RECEIVED,
        created_at=now,
        updated_at=now,
    )
    screening = _apply_screening(opinion, screener)
    opinion.transition(OpinionState.SCREENED, now)
    outcome = _outcome(screening)
    opinion.transition(outcome, now)
    for _ in range(5):  # reference codes are random: retry the rare collision
        try:
            opinion.id = tx.opinion_add(opinion, source_event)
            break
        except DuplicateKey:
            opinion.ref_code = new_ref_code()
    else:
        raise StorageError("could not allocate a unique reference code")
    tx.opinion_events_add(
        [
            OpinionEvent(opinion.id, None, OpinionState.RECEIVED, channel, "", now),
            OpinionEvent(opinion.id, OpinionState.RECEIVED, OpinionState.SCREENED, SYSTEM,
                         _summary(opinion), now),
            OpinionEvent(opinion.id, OpinionState.SCREENED, outcome, SYSTEM,
                         "; ".join(opinion.reasons), now),
        ]
    )  # fmt: skip
    return opinion, session


def _outcome(screening: Screening) -> OpinionState:
    """Where screening sends an opinion; officers can move it back (nothing is dropped)."""
    if screening.kind in DIVERTED:
        return OpinionState.DIVERTED
    if screening.kind in SCREENED_OUT:
        return OpinionState.REJECTED
    return OpinionState.PENDING_REVIEW


def _apply_screening(opinion: Opinion, screener: Screener) -> Screening:
    result = screener.screen(opinion.text)
    opinion.topic = result.topic
    opinion.kind = result.kind
    opinion.confidence = result.confidence
    opinion.reasons = list(result.reasons)
    return result


def _summary(opinion: Opinion) -> str:
    return f"topic={opinion.topic} kind={opinion.kind} confidence={opinion.confidence:.2f}"


def own_opinion(tx: Tx, resident_id: int, ref_code: str) -> Opinion:
    """The resident's own opinion by code; another resident's code is simply 'not found'."""
    opinion = tx.opinion_by_code(ref_code)
    if opinion is None or opinion.resident_id != resident_id:
        raise NotFound(ref_code)
    return opinion


def check_changeable(tx: Tx, resident_id: int, ref_code: str, now: datetime) -> Opinion:
    opinion = own_opinion(tx, resident_id, ref_code)
    session = tx.session_get(opinion.session_id) if opinion.session_id else None
    opinion.check_resident_may_change(session, now)
    return opinion


def revise_opinion(
    tx: Tx, resident_id: int, ref_code: str, text: str, screener: Screener, now: datetime
) -> Opinion:
    """New text for an opinion (the old one is kept), screened again: an edit that turns it
    into a complaint, say, diverts it like a new message would."""
    opinion = own_opinion(tx, resident_id, ref_code)
    session = tx.session_get(opinion.session_id) if opinion.session_id else None
    old = opinion.revise(text, session, now)
    outcome = _outcome(_apply_screening(opinion, screener))
    assert opinion.id is not None
    tx.opinion_revision_add(opinion.id, old, now)
    if outcome is not opinion.state and opinion.state is OpinionState.PENDING_REVIEW:
        previous = opinion.transition(outcome, now)
        tx.opinion_event_add(opinion.id, previous, outcome, SYSTEM, "; ".join(opinion.reasons), now)
    tx.opinion_update(opinion)
    return opinion


def record_correction(
    tx: Tx, ref_code: str, topic: str, kind: str, officer: str, now: datetime
) -> Opinion:
    """An officer's corrected field and kind: stored on the opinion and kept as training
    feedback for the model (`python -m nlp retrain`)."""
    if topic not in FIELDS or kind not in KINDS:
        raise ValidationError(f"unknown field {topic!r} or kind {kind!r}")
    opinion = tx.opinion_by_code(ref_code)
    if opinion is None or opinion.id is None:
        raise NotFound(ref_code)
    opinion.topic, opinion.kind = topic, kind
    opinion.reasons = [*opinion.reasons, f"Cán bộ {officer} sửa: {FIELDS[topic]}, {KINDS[kind]}"]
    opinion.updated_at = now
    tx.opinion_update(opinion)
    tx.feedback_add(opinion.id, opinion.text, topic, kind, officer, now)
    return opinion


def similar_opinions(tx: Tx, opinion: Opinion) -> list[tuple[str, float]]:
    """Reference codes of the opinions of the same session that say the same thing."""
    assert opinion.id is not None
    candidates = tx.opinion_texts(opinion.commune_code, opinion.session_id, opinion.id)
    return [(m.key, m.score) for m in similar(opinion.text, candidates)]


def withdraw_opinion(tx: Tx, resident_id: int, ref_code: str, now: datetime) -> Opinion:
    opinion = own_opinion(tx, resident_id, ref_code)
    session = tx.session_get(opinion.session_id) if opinion.session_id else None
    previous = opinion.withdraw(session, now)
    assert opinion.id is not None
    tx.opinion_update(opinion)
    tx.opinion_event_add(
        opinion.id, previous, OpinionState.WITHDRAWN, f"resident:{resident_id}", "", now
    )
    return opinion


def group_head(tx: Tx, opinion: Opinion) -> Opinion:
    """The opinion a merged one is answered with (the head of its group)."""
    seen = {opinion.id}
    while opinion.merged_into and opinion.merged_into not in seen:
        head = tx.opinion_get(opinion.merged_into)
        if head is None:
            break
        seen.add(head.id)
        opinion = head
    return opinion


def regroup(tx: Tx, old_head: Opinion, new_head: Opinion, actor: str, now: datetime) -> int:
    """Members of `old_head` follow it into `new_head`'s group: one head, members one level
    below it, so an answer to the head reaches everyone. Returns how many moved."""
    assert old_head.id is not None and new_head.id is not None
    moved = 0
    for member in tx.merged_members(old_head.id):
        member.merged_into = new_head.id
        member.updated_at = now
        member.version += 1
        tx.opinion_update(member)
        assert member.id is not None
        tx.opinion_event_add(member.id, member.state, member.state, actor,
                             f"Theo nhóm gộp vào {new_head.ref_code}", now)  # fmt: skip
        moved += 1
    return moved


def release_members(tx: Tx, head: Opinion, actor: str, now: datetime) -> Opinion | None:
    """A head that leaves the agenda (withdrawn, rejected, diverted) must not orphan its
    members: the oldest becomes the head, back in the Front's queue, with the others."""
    assert head.id is not None
    members = [m for m in tx.merged_members(head.id) if m.state is OpinionState.MERGED]
    if not members:
        return None
    new_head, rest = members[0], members[1:]
    assert new_head.id is not None
    new_head.merged_into = None
    new_head.transition(OpinionState.PENDING_REVIEW, now)
    new_head.version += 1
    tx.opinion_update(new_head)
    tx.opinion_event_add(new_head.id, OpinionState.MERGED, OpinionState.PENDING_REVIEW, actor,
                         f"Đứng đầu nhóm thay {head.ref_code}", now)  # fmt: skip
    for member in rest:
        member.merged_into = new_head.id
        member.version += 1
        tx.opinion_update(member)
        assert member.id is not None
        tx.opinion_event_add(member.id, member.state, member.state, actor,
                             f"Theo nhóm gộp vào {new_head.ref_code}", now)  # fmt: skip
    return new_head


def erase_resident(tx: Tx, resident_id: int, now: datetime) -> None:
    """Delete personal data (Decree 13/2023, the 2025 personal data law): the record is
    emptied, the raw messages and the chat's outbox copies are dropped, and inside what is
    kept (the opinions, their earlier texts, officers' cards, answers, comments) the name,
    phone numbers, e-mails and ID numbers are replaced by labels. The store then overwrites
    the freed bytes (`Store.compact`)."""
    resident = tx.resident_get(resident_id)
    if resident is None:
        raise NotFound(str(resident_id))
    markers = personal_markers(resident, tx.resident_texts(resident_id))
    resident.erase(now)
    tx.resident_update(resident)
    for channel, user_key, chat_id in tx.identities_delete(resident_id):
        tx.redact_channel_data(channel, user_key, chat_id)
    tx.redact_texts(resident_id, markers)


def personal_markers(resident: Resident, written: list[str]) -> list[tuple[str, str]]:
    """What to replace, and by what: the name as registered and as typed, the phone as
    registered, and every phone number, e-mail and ID number written in their texts."""
    found: dict[str, str] = {}
    for text in written:
        for value, label in personal_data(text):
            found.setdefault(value, label)
        if resident.full_name:
            for value in find_folded(text, resident.full_name):
                found.setdefault(value, "[họ tên]")
    if resident.full_name:
        found.setdefault(resident.full_name, "[họ tên]")
    if resident.phone:
        found.setdefault(resident.phone, "[số điện thoại]")
    for value, label in list(found.items()):  # as officers' cards quote it (HTML-escaped)
        found.setdefault(html.escape(value, quote=False), label)
    # Longest first, so a phone inside a longer ID-like run is not half replaced.
    return sorted(found.items(), key=lambda item: -len(item[0]))


def add_commune(
    tx: Tx, code: int, villages: list[str], now: datetime, reception: str | None = None
) -> Commune:
    """Serve a commune from the official list, with its villages (added, never removed) and
    where it receives complaints and denunciations (kept if not given)."""
    commune = official_list.official(code)
    if commune is None:
        raise ValidationError(f"{code} is not a commune or ward code of the official list")
    known = tx.commune_get(code)
    kept = known.reception if known else ""
    commune = replace(commune, reception=kept if reception is None else reception.strip())
    tx.commune_put(commune, now)
    seed_departments(tx, code)
    for name in villages:
        if name.strip():
            tx.village_add(code, name.strip())
    return commune


def plan_session(tx: Tx, session: DialogueSession, now: datetime) -> DialogueSession:
    """Plan a session as the system (seeding, the demo); see `bot.sessions.plan`."""
    sessions.plan(tx, session, now)
    return session


def village_choice(tx: Tx, commune_code: int, village_id: int) -> Village:
    village = tx.village_get(village_id)
    if village is None or village.commune_code != commune_code:
        raise NotFound(str(village_id))
    return village


def enqueue(tx: Tx, notices: list[tuple[str, str, Reply]], now: datetime) -> int:
    """Queue messages for the outbox loop (the scheduler's jobs); returns how many."""
    for channel, chat, reply in notices:
        delivery.queue(tx, channel, chat, reply, now)
    return len(notices)
