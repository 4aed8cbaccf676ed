"""The storage interface the core depends on. SQLite implements it today; PostgreSQL can later.

A `Store` hands out transactions (`Tx`): everything one incoming message changes (its
conversation step, the opinion, the outgoing replies, the inbox row marked handled) commits
together or not at all, which is what makes a crash at any instant safe.
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from bot.model import Commune, DialogueSession, Opinion, OpinionState, Resident, Village


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
class OutboxMessage:
    id: int
    channel: str
    chat_id: str
    payload: dict[str, Any]
    status: str
    attempts: int


@dataclass(frozen=True)
class NewInbound:
    channel: str
    event_key: str
    user_key: str | None
    payload: str


class Tx(Protocol):
    """One transaction. Leaving the `async with` block commits; an exception rolls back."""

    # inbox
    async def inbox_is_handled(self, channel: str, event_key: str) -> bool: ...
    async def inbox_mark_handled(self, channel: str, event_key: str, now: datetime) -> None: ...

    # conversation
    async def conversation_get(self, channel: str, user_key: str) -> ConversationState | None: ...
    async def conversation_put(self, state: ConversationState, now: datetime) -> None: ...
    async def conversation_delete(self, channel: str, user_key: str) -> None: ...

    # communes
    async def commune_get(self, code: int) -> Commune | None: ...
    async def communes_list(self) -> list[Commune]: ...
    async def commune_put(self, commune: Commune, now: datetime) -> None: ...
    async def villages_list(self, commune_code: int) -> list[Village]: ...
    async def village_get(self, village_id: int) -> Village | None: ...
    async def village_add(self, commune_code: int, name: str) -> Village: ...

    # residents and their channel identities
    async def resident_add(self, resident: Resident) -> int: ...
    async def resident_get(self, resident_id: int) -> Resident | None: ...
    async def resident_update(self, resident: Resident) -> None: ...
    async def identity_resident(self, channel: str, user_key: str) -> int | None: ...
    async def identity_add(
        self, channel: str, user_key: str, chat_id: str, resident_id: int, now: datetime
    ) -> None: ...
    async def identities_delete(self, resident_id: int) -> list[tuple[str, str, str]]: ...

    # sessions
    async def session_add(self, session: DialogueSession, now: datetime) -> int: ...
    async def session_get(self, session_id: int) -> DialogueSession | None: ...
    async def session_open(self, commune_code: int, now: datetime) -> DialogueSession | None: ...
    async def session_upcoming(
        self, commune_code: int, now: datetime
    ) -> DialogueSession | None: ...
    async def sessions_list(self, commune_code: int | None = None) -> list[DialogueSession]: ...

    # opinions
    async def opinion_add(self, opinion: Opinion, source_event: str | None) -> int: ...
    async def opinion_by_code(self, ref_code: str) -> Opinion | None: ...
    async def opinion_by_source(self, source_event: str) -> Opinion | None: ...
    async def opinions_of_resident(self, resident_id: int, limit: int) -> list[Opinion]: ...
    async def opinion_count_of_resident(self, resident_id: int) -> int: ...
    async def opinion_update(self, opinion: Opinion) -> None: ...
    async def opinion_event_add(
        self,
        opinion_id: int,
        from_state: OpinionState | None,
        to_state: OpinionState,
        actor: str,
        reason: str,
        now: datetime,
    ) -> None: ...
    async def opinion_revision_add(self, opinion_id: int, old_text: str, now: datetime) -> None: ...

    # outbox
    async def outbox_add(
        self,
        channel: str,
        chat_id: str,
        payload: dict[str, Any],
        now: datetime,
        source_event: str | None = None,
        lease_until: datetime | None = None,
    ) -> int: ...

    # erasure (personal data protection)
    async def redact_channel_data(self, channel: str, user_key: str, chat_id: str) -> None: ...


class Store(Protocol):
    async def open(self) -> None: ...
    async def close(self) -> None: ...
    def transaction(self) -> AbstractAsyncContextManager[Tx]: ...

    async def inbox_store(self, events: Sequence[NewInbound], now: datetime) -> list[bool]:
        """Store incoming events idempotently; True for each one not seen before."""
        ...

    async def inbox_unhandled(self, channel: str, limit: int = 1000) -> list[InboxEvent]: ...

    async def outbox_claim(
        self, now: datetime, lease_until: datetime, limit: int, channel: str | None = None
    ) -> list[OutboxMessage]:
        """Take due messages (pending, or sending with an expired lease) for delivery."""
        ...

    async def outbox_get(self, ids: Sequence[int]) -> list[OutboxMessage]: ...
    async def outbox_sent(self, message_id: int, remote_id: str | None, now: datetime) -> None: ...
    async def outbox_retry(self, message_id: int, error: str, not_before: datetime) -> None: ...
    async def outbox_failed(self, message_id: int, error: str) -> None: ...
