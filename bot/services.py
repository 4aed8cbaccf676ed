"""The service layer: the business operations, each run inside one storage transaction.

Channel adapters never call these directly: the conversation engine does, and the terminal
commands for the office do (`await store.run(lambda tx: services.add_commune(tx, ...))`).
Every function takes the open transaction and the current time, and does no other I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot import communes as official_list
from bot.errors import DuplicateKey, NotFound, StorageError, ValidationError
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
from nlp.screening import Screener
from storage.repository import OpinionEvent, Tx

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
    _apply_screening(opinion, screener)
    opinion.transition(OpinionState.SCREENED, now)
    opinion.transition(OpinionState.PENDING_REVIEW, now)
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
            OpinionEvent(opinion.id, OpinionState.SCREENED, OpinionState.PENDING_REVIEW, SYSTEM,
                         "", now),
        ]
    )  # fmt: skip
    return opinion, session


def _apply_screening(opinion: Opinion, screener: Screener) -> None:
    result = screener.screen(opinion.text)
    opinion.topic = result.topic
    opinion.kind = result.kind
    opinion.confidence = result.confidence
    opinion.reasons = list(result.reasons)


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
    opinion = own_opinion(tx, resident_id, ref_code)
    session = tx.session_get(opinion.session_id) if opinion.session_id else None
    old = opinion.revise(text, session, now)
    _apply_screening(opinion, screener)
    assert opinion.id is not None
    tx.opinion_revision_add(opinion.id, old, now)
    tx.opinion_update(opinion)
    return opinion


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


def erase_resident(tx: Tx, resident_id: int, now: datetime) -> None:
    """Delete personal data (the 2025 personal data law); opinions stay, without a name."""
    resident = tx.resident_get(resident_id)
    if resident is None:
        raise NotFound(str(resident_id))
    resident.erase(now)
    tx.resident_update(resident)
    for channel, user_key, chat_id in tx.identities_delete(resident_id):
        tx.redact_channel_data(channel, user_key, chat_id)


def add_commune(tx: Tx, code: int, villages: list[str], now: datetime) -> Commune:
    """Serve a commune from the official list, with its villages (added, never removed)."""
    commune = official_list.official(code)
    if commune is None:
        raise ValidationError(f"{code} is not a commune or ward code of the official list")
    tx.commune_put(commune, now)
    for name in villages:
        if name.strip():
            tx.village_add(code, name.strip())
    return commune


def plan_session(tx: Tx, session: DialogueSession, now: datetime) -> DialogueSession:
    if tx.commune_get(session.commune_code) is None:
        raise ValidationError(f"commune {session.commune_code} is not served by this deployment")
    if session.cutoff_at > session.starts_at:
        raise ValidationError("the opinion cut-off must be before the session starts")
    session.id = tx.session_add(session, now)
    return session


def village_choice(tx: Tx, commune_code: int, village_id: int) -> Village:
    village = tx.village_get(village_id)
    if village is None or village.commune_code != commune_code:
        raise NotFound(str(village_id))
    return village
