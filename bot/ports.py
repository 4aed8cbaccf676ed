"""The ports the core depends on: the repository (`Store`, `Tx`) and its records.

The core (`bot/`) owns them; `storage/sqlite.py` implements them, and a PostgreSQL backend can too.

A `Store` runs units of work: `await store.run(work)` calls `work(tx)` with a `Tx` inside one
transaction, on the database's own thread. Everything one incoming message changes (its
conversation step, the opinion, the outgoing replies, the inbox row marked handled) commits
together or not at all, which is what makes a crash at any instant safe. `Tx` is synchronous
on purpose: a unit of work is one round trip, and nothing can interleave with it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Protocol, TypeVar

from bot.model import (
    Answer,
    Commune,
    DialogueSession,
    Opinion,
    OpinionState,
    Resident,
    Role,
    StaffRole,
    Village,
)

T = TypeVar("T")


@dataclass
class ConversationState:
    channel: str
    user_key: str
    step: str
    data: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class InboxEvent:
    id: int
    channel: str
    event_key: str
    user_key: str | None
    payload: str
    received_at: datetime
    handled_at: datetime | None


@dataclass(frozen=True)
class Quarantined:
    """An update that could not be parsed: kept as received, with the reason."""

    id: int
    channel: str
    event_key: str
    payload: str
    reason: str
    received_at: datetime


@dataclass(frozen=True)
class WorkerRecord:
    id: str
    host: str
    pid: int
    proc_start: str
    started_at: datetime
    heartbeat_at: datetime
    stopped_at: datetime | None


@dataclass(frozen=True)
class ComponentHealth:
    component: str
    worker: str
    ok_at: datetime | None
    error_at: datetime | None
    error: str | None


@dataclass(frozen=True)
class Backlog:
    """What waits: unhandled updates and unsent messages, with the oldest of each."""

    inbox_unhandled: dict[str, int]
    inbox_oldest: dict[str, datetime]
    outbox_waiting: dict[str, int]  # pending or sending, by channel
    outbox_oldest: dict[str, datetime]  # the oldest due and unsent, by channel
    quarantined: int


@dataclass(frozen=True)
class BroadcastProgress:
    """How far one broadcast has got, counted from its outbox rows."""

    id: int
    session_id: int | None
    kind: str
    recipients: int
    created_at: datetime
    sent: int
    waiting: int
    failed: int
    last_sent_at: datetime | None


@dataclass(frozen=True)
class Speaker:
    """One registered turn to speak, with what the secretary needs to call it."""

    full_name: str
    village_name: str
    organisation: str
    ref_code: str
    topic: str | None
    text: str
    registered_at: datetime


@dataclass(frozen=True)
class Identity:
    """One of a resident's accounts on a channel."""

    channel: str
    user_key: str
    chat_id: str
    announce: bool  # chosen to receive announcements and answers
    reachable: bool  # False once the person blocked the bot (until they write again)


@dataclass(frozen=True)
class LinkCode:
    id: int
    resident_id: int
    code_hash: str
    tries: int


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    channel: str
    chat_id: str
    payload: dict[str, Any]
    status: str
    attempts: int


@dataclass(frozen=True)
class CardCopy:
    """One card of an opinion in one chat: its outbox row, what it shows, and whether the
    row is still waiting to be sent (then it can be changed before it goes out)."""

    outbox_id: int
    opinion_id: int
    channel: str
    chat_id: str
    payload: dict[str, Any]
    retired: bool
    pending: bool


@dataclass(frozen=True)
class OpinionEvent:
    """One line of an opinion's history (who moved it from which state to which, and why)."""

    opinion_id: int
    from_state: OpinionState | None
    to_state: OpinionState
    actor: str
    reason: str
    at: datetime
    detail: dict[str, Any] = field(default_factory=dict)  # what else changed, for undo
    id: int | None = None


@dataclass(frozen=True)
class NewInbound:
    channel: str
    event_key: str
    user_key: str | None
    payload: str


class Tx(Protocol):
    """One transaction: returning from the unit of work commits; an exception rolls back."""

    # inbox
    def inbox_claim(self, channel: str, event_key: str, now: datetime) -> bool:
        """Mark a stored event handled; False if it already was (it must have been stored)."""
        ...

    # conversation
    def person(
        self, channel: str, user_key: str
    ) -> tuple[ConversationState | None, Resident | None]:
        """Where this account is in the conversation, and the resident it belongs to."""
        ...

    def conversation_put(self, state: ConversationState, now: datetime) -> None: ...
    def conversation_delete(self, channel: str, user_key: str) -> None: ...

    # communes
    def commune_get(self, code: int) -> Commune | None: ...
    def communes_list(self) -> list[Commune]: ...
    def commune_put(self, commune: Commune, now: datetime) -> None: ...
    def villages_list(self, commune_code: int) -> list[Village]: ...
    def village_get(self, village_id: int) -> Village | None: ...
    def village_add(self, commune_code: int, name: str) -> Village: ...

    # staff and departments
    def staff_roles(self, channel: str, user_key: str) -> list[StaffRole]: ...
    def staff_add(
        self,
        channel: str,
        user_key: str,
        role: StaffRole,
        added_by: str,
        now: datetime,
        name: str = "",
    ) -> bool: ...
    def staff_remove(self, channel: str, user_key: str, commune_code: int | None) -> int: ...
    def staff_all(self) -> list[tuple[str, str, StaffRole]]: ...
    def staff_with_role(
        self, commune_code: int, role: Role, department: str | None = None
    ) -> list[tuple[str, str]]: ...
    def invitation_add(
        self, code: str, role: StaffRole, created_by: str, now: datetime, expires: datetime
    ) -> None: ...
    def invitation_use(self, code: str, used_by: str, now: datetime) -> StaffRole | None:
        """The invitation's role, once: None if unknown, used or expired."""
        ...

    def departments_list(self, commune_code: int) -> list[tuple[str, str]]: ...
    def department_put(self, commune_code: int, code: str, name: str) -> None: ...
    def field_department(self, commune_code: int, topic: str) -> str | None: ...
    def field_department_put(self, commune_code: int, topic: str, department: str) -> None: ...

    # answers, satisfaction, deadlines
    def answer_add(self, answer: Answer) -> int: ...
    def answer_get(self, answer_id: int) -> Answer | None: ...
    def answers_of(self, opinion_id: int) -> list[Answer]: ...
    def answer_set_status(self, answer_id: int, status: str, now: datetime) -> bool: ...
    def answer_publish(self, answer_id: int, now: datetime) -> None: ...
    def merged_members(self, opinion_id: int) -> list[Opinion]: ...
    def satisfaction_last(self, opinion_id: int) -> bool | None: ...
    def satisfaction_add(
        self, opinion_id: int, resident_id: int, satisfied: bool, comment: str, now: datetime
    ) -> None: ...
    def days_off(self, commune_code: int) -> list[date]: ...
    def day_off_add(self, commune_code: int, day: date, name: str) -> None: ...
    def opinions_assigned_due(self) -> list[Opinion]: ...
    def deadline_notice_once(self, opinion_id: int, kind: str, now: datetime) -> bool: ...

    # residents and their channel identities
    def resident_add(self, resident: Resident) -> int: ...
    def resident_get(self, resident_id: int) -> Resident | None: ...
    def resident_update(self, resident: Resident) -> None: ...
    def identity_add(
        self, channel: str, user_key: str, chat_id: str, resident_id: int, now: datetime,
        announce: bool = True,
    ) -> None: ...  # fmt: skip
    def identities_delete(self, resident_id: int) -> list[tuple[str, str, str]]: ...
    def identities_list(self, resident_id: int) -> list[Identity]: ...
    def announce_set(self, resident_id: int, channels: Sequence[str]) -> None:
        """Announcements and answers go to the resident's accounts on these channels."""
        ...

    def residents_by_phone(self, phone: str) -> list[Resident]: ...
    def resident_merge(self, source_id: int, target_id: int, now: datetime) -> None: ...
    def link_code_add(
        self, resident_id: int, channel: str, user_key: str, code_hash: str, now: datetime,
        expires_at: datetime,
    ) -> None: ...  # fmt: skip
    def link_codes_sent(self, resident_id: int, since: datetime) -> int: ...
    def link_codes_open(self, channel: str, user_key: str, now: datetime) -> list[LinkCode]: ...
    def link_code_mark(self, code_id: int, now: datetime, used: bool) -> None: ...
    def last_offered(self, channel: str, chat_id: str) -> list[str]:
        """The choice values a typed number refers to in this chat (see SqliteTx)."""
        ...

    # sessions
    def session_add(self, session: DialogueSession, now: datetime) -> int: ...
    def session_get(self, session_id: int) -> DialogueSession | None: ...
    def session_open(self, commune_code: int, now: datetime) -> DialogueSession | None: ...
    def session_upcoming(self, commune_code: int, now: datetime) -> DialogueSession | None: ...
    def sessions_list(self, commune_code: int | None = None) -> list[DialogueSession]: ...
    def session_update(self, session: DialogueSession) -> None: ...
    def sessions_live(self) -> list[DialogueSession]:
        """Every session not yet concluded: the ones with jobs left."""
        ...

    def session_event_add(
        self, session_id: int, actor: str, what: str, detail: str, now: datetime
    ) -> None: ...
    def session_events(self, session_id: int) -> list[tuple[str, str, str, datetime]]: ...
    def session_jobs_done(self, session_id: int) -> dict[tuple[str, str], datetime]: ...
    def session_job_claim(
        self, session_id: int, kind: str, edition: str, due_at: datetime, now: datetime,
        outcome: str,
    ) -> bool:  # fmt: skip
        """Record that a job fired; False if it had already (another process, a restart)."""
        ...

    def session_job_broadcast_id(self, session_id: int, kind: str, edition: str) -> int | None: ...
    def session_job_broadcast(self, session_id: int, kind: str, edition: str, bid: int) -> None: ...
    def opinions_adopt(self, commune_code: int, session_id: int, states: Sequence[str]) -> int:
        """Give the commune's opinions that wait for a session to this one; how many."""
        ...

    # broadcasts and speaking registration
    def broadcast_create(
        self,
        commune_code: int,
        session_id: int | None,
        kind: str,
        payload: dict[str, Any],
        created_by: str,
        now: datetime,
    ) -> tuple[int, int]: ...
    def broadcasts_progress(
        self, commune_code: int, limit: int = 10
    ) -> list[BroadcastProgress]: ...
    def broadcast_waiting(self, broadcast_id: int) -> int: ...
    def residents_count(self, commune_code: int) -> int: ...
    def identity_reactivate(self, channel: str, user_key: str) -> None: ...
    def speaker_add(
        self, session_id: int, resident_id: int, opinion_id: int, now: datetime
    ) -> int: ...
    def speaker_of(self, session_id: int, resident_id: int) -> tuple[int, str] | None: ...
    def speakers_list(self, session_id: int) -> list[Speaker]: ...

    # opinions
    def opinion_add(self, opinion: Opinion, source_event: str | None) -> int:
        """Insert; raises DuplicateKey if the reference code is taken."""
        ...

    def opinion_by_code(self, ref_code: str) -> Opinion | None: ...
    def opinion_get(self, opinion_id: int) -> Opinion | None: ...
    def opinion_history(self, opinion_id: int) -> list[OpinionEvent]: ...
    def opinions_queue(
        self, commune_code: int, states: Sequence[str], topic: str | None, limit: int, offset: int
    ) -> list[Opinion]: ...
    def opinion_counts(
        self, commune_code: int, session_id: int | None
    ) -> list[tuple[str, str, int]]: ...
    def opinions_of_resident(self, resident_id: int, limit: int) -> list[Opinion]: ...
    def opinion_count_of_resident(self, resident_id: int) -> int: ...
    def has_answered_opinion(self, resident_id: int) -> bool: ...
    def opinions_since(self, resident_id: int, since: datetime) -> int: ...
    def card_burst_open(self, resident_id: int, since: datetime) -> int | None: ...
    def card_burst_add(self, resident_id: int, commune_code: int, now: datetime) -> int: ...
    def card_burst_join(self, burst_id: int, opinion_id: int, now: datetime) -> None: ...
    def card_bursts_due(self, quiet_since: datetime) -> list[tuple[int, int]]: ...
    def card_burst_opinions(self, burst_id: int) -> list[Opinion]: ...
    def card_burst_done(self, burst_id: int, now: datetime) -> None: ...
    def opinion_update(self, opinion: Opinion) -> None: ...
    def opinion_event_add(
        self,
        opinion_id: int,
        from_state: OpinionState | None,
        to_state: OpinionState,
        actor: str,
        reason: str,
        now: datetime,
    ) -> None: ...
    def opinion_events_add(self, events: Sequence[OpinionEvent]) -> None: ...
    def identities_of(self, resident_id: int) -> list[tuple[str, str]]:
        """(channel, chat id) where a resident gets announcements and answers: the accounts
        they chose that are reachable, or else their most recent reachable one."""
        ...

    def staff_name(self, channel: str, user_key: str) -> str: ...
    def opinion_revision_add(self, opinion_id: int, old_text: str, now: datetime) -> None: ...
    def opinion_texts(
        self, commune_code: int, session_id: int | None, exclude_id: int
    ) -> list[tuple[str, str]]:
        """(reference code, text) of the live opinions of a session (or of the commune's
        opinions awaiting a session), to look for near-duplicates."""
        ...

    # officers' corrections, for the model
    def feedback_add(
        self, opinion_id: int, text: str, topic: str, kind: str, officer: str, now: datetime
    ) -> None: ...
    def feedback_all(self) -> list[tuple[str, str, str]]:
        """(text, topic, kind) of every correction, oldest first."""
        ...

    # cards of opinions in officers' chats
    def card_copy_add(self, outbox_id: int, opinion_id: int, channel: str, chat_id: str,
                      payload: dict[str, Any]) -> None: ...
    def card_copies(self, opinion_id: int) -> list[CardCopy]: ...  # oldest first
    def card_copy_update(self, outbox_id: int, payload: dict[str, Any], retired: bool) -> None: ...
    def outbox_replace_pending(self, message_id: int, payload: dict[str, Any]) -> bool: ...

    # outbox
    def outbox_add(
        self,
        channel: str,
        chat_id: str,
        payload: dict[str, Any],
        now: datetime,
        source_event: str | None = None,
        lease_until: datetime | None = None,
        lease_owner: str | None = None,
    ) -> int: ...

    # erasure (personal data protection)
    def redact_channel_data(self, channel: str, user_key: str, chat_id: str) -> None: ...
    def resident_texts(self, resident_id: int) -> list[str]:
        """What the resident wrote and is kept: opinions, earlier texts, comments."""
        ...

    def redact_texts(self, resident_id: int, markers: Sequence[tuple[str, str]]) -> None:
        """Replace each (value, label) in everything kept that may quote the resident."""
        ...


class Store(Protocol):
    async def open(self) -> None: ...
    async def close(self) -> None: ...
    async def run(self, work: Callable[[Tx], T]) -> T:
        """Run `work(tx)` in one transaction; its result is returned, its exception raised."""
        ...

    async def inbox_store(self, events: Sequence[NewInbound], now: datetime) -> list[bool]:
        """Store incoming events idempotently; True for each one not seen before."""
        ...

    async def inbox_unhandled(self, channel: str, limit: int = 1000) -> list[InboxEvent]: ...

    async def compact(self) -> None:
        """After an erasure: no byte of the database files may keep what was erased."""
        ...

    async def inbox_quarantine(
        self, channel: str, event_key: str, payload: str, reason: str, now: datetime
    ) -> bool:
        """Keep an update that cannot be parsed, marked handled; False if it was known."""
        ...

    async def inbox_quarantined(self, limit: int = 50) -> list[Quarantined]: ...

    async def outbox_claim(
        self,
        now: datetime,
        lease_until: datetime,
        limit: int,
        channel: str | None = None,
        owner: str | None = None,
    ) -> list[OutboxMessage]:
        """Take due messages (pending, or sending with an expired lease) for delivery."""
        ...

    # workers and health
    async def worker_start(self, worker: WorkerRecord) -> None: ...
    async def worker_heartbeat(self, worker_id: str, now: datetime) -> None: ...
    async def worker_stop(self, worker_id: str, now: datetime) -> None:
        """A clean stop: the worker's leases are released for the others at once."""
        ...

    async def workers_live(self) -> list[WorkerRecord]: ...
    async def workers_release(self, worker_ids: Sequence[str], now: datetime) -> int:
        """Workers known dead: mark them stopped and free their send leases now."""
        ...

    async def health_mark(
        self, component: str, worker: str, now: datetime, error: str | None = None
    ) -> None: ...
    async def health_all(self) -> list[ComponentHealth]: ...
    async def backlog(self, now: datetime) -> Backlog: ...

    async def outbox_sent(self, message_id: int, remote_id: str | None, now: datetime) -> None: ...
    async def outbox_remote_id(self, message_id: int) -> str | None: ...
    async def outbox_retry(self, message_id: int, error: str, not_before: datetime) -> None: ...
    async def outbox_failed(self, message_id: int, error: str) -> None: ...
    async def identity_deactivate(self, channel: str, chat_id: str, now: datetime) -> None: ...
