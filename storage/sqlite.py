"""The SQLite implementation of the storage interface, on aiosqlite.

One connection, WAL journal, foreign keys on, a busy timeout for other processes, and an
asyncio lock so that coroutines sharing the connection never interleave their transactions.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from bot.clock import iso, parse_iso
from bot.errors import StorageError
from bot.model import (
    Commune,
    DialogueSession,
    Opinion,
    OpinionState,
    Organisation,
    Resident,
    Village,
)
from storage.repository import ConversationState, InboxEvent, NewInbound, OutboxMessage

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000


def _migrations() -> list[tuple[int, str, str]]:
    found = []
    for entry in resources.files("storage").joinpath("migrations").iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            found.append((int(name[:4]), name, entry.read_text(encoding="utf-8")))
    return sorted(found)


def _dt(value: str | None) -> datetime | None:
    return parse_iso(value) if value else None


class SqliteStore:
    """Open with `await store.open()`; `store.transaction()` yields a `SqliteTx`."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._conn: aiosqlite.Connection | None = None
        self._lock: Any = None

    # -- lifecycle ---------------------------------------------------------------------------
    async def open(self) -> None:
        import asyncio

        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = await aiosqlite.connect(self.path, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        self._lock = asyncio.Lock()
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",  # durable against process crashes; fsync at checkpoint
            "PRAGMA foreign_keys=ON",
            f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
        ):
            await self._conn.execute(pragma)
        await self._migrate()

    async def close(self) -> None:
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise StorageError("the store is not open")
        return self._conn

    async def _migrate(self) -> None:
        conn = self.conn
        await conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
            " name TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
        )
        await conn.execute("BEGIN IMMEDIATE")  # one process migrates; others wait, then skip
        try:
            rows = await conn.execute_fetchall("SELECT version FROM schema_migrations")
            done = {row[0] for row in rows}
            for version, name, sql in _migrations():
                if version in done:
                    continue
                log.info("applying migration %s", name)
                for statement in _split_sql(sql):
                    await conn.execute(statement)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name) VALUES (?, ?)", (version, name)
                )
            await conn.execute("COMMIT")
        except Exception as exc:
            await conn.execute("ROLLBACK")
            raise StorageError(f"database migration failed: {exc}") from exc

    async def schema_version(self) -> int:
        rows = await self.conn.execute_fetchall("SELECT MAX(version) FROM schema_migrations")
        return int(rows[0][0] or 0)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[SqliteTx]:
        async with self._lock:
            await self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield SqliteTx(self.conn)
            except BaseException:
                await self.conn.execute("ROLLBACK")
                raise
            else:
                await self.conn.execute("COMMIT")

    async def _fetch(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        async with self._lock:
            return list(await self.conn.execute_fetchall(sql, params))

    # -- inbox -------------------------------------------------------------------------------
    async def inbox_store(self, events: Sequence[NewInbound], now: datetime) -> list[bool]:
        if not events:
            return []
        stamp = iso(now)
        fresh: list[bool] = []
        async with self.transaction() as tx:
            for ev in events:
                rows = await tx.conn.execute_fetchall(
                    "INSERT INTO inbox (channel, event_key, user_key, payload, received_at)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel, event_key) DO NOTHING"
                    " RETURNING id",
                    (ev.channel, ev.event_key, ev.user_key, ev.payload, stamp),
                )
                fresh.append(bool(rows))
        return fresh

    async def inbox_unhandled(self, channel: str, limit: int = 1000) -> list[InboxEvent]:
        rows = await self._fetch(
            "SELECT * FROM inbox WHERE channel = ? AND handled_at IS NULL ORDER BY id LIMIT ?",
            (channel, limit),
        )
        return [_inbox(row) for row in rows]

    async def inbox_count(self, channel: str | None = None) -> int:
        if channel is None:
            rows = await self._fetch("SELECT COUNT(*) FROM inbox")
        else:
            rows = await self._fetch("SELECT COUNT(*) FROM inbox WHERE channel = ?", (channel,))
        return int(rows[0][0])

    # -- outbox ------------------------------------------------------------------------------
    async def outbox_claim(
        self, now: datetime, lease_until: datetime, limit: int, channel: str | None = None
    ) -> list[OutboxMessage]:
        stamp = iso(now)
        channel_sql = "AND channel = ?" if channel else ""
        params: list[Any] = [iso(lease_until), stamp, stamp]
        if channel:
            params.append(channel)
        params.append(limit)
        async with self.transaction() as tx:
            rows = await tx.conn.execute_fetchall(
                "UPDATE outbox SET status = 'sending', lease_until = ?, attempts = attempts + 1"
                " WHERE id IN (SELECT id FROM outbox WHERE"
                " ((status = 'pending' AND not_before <= ?)"
                "  OR (status = 'sending' AND lease_until < ?))"
                f" {channel_sql} ORDER BY id LIMIT ?)"
                " RETURNING *",
                params,
            )
        return sorted((_outbox(row) for row in rows), key=lambda m: m.id)

    async def outbox_get(self, ids: Sequence[int]) -> list[OutboxMessage]:
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = await self._fetch(f"SELECT * FROM outbox WHERE id IN ({marks}) ORDER BY id", ids)
        return [_outbox(row) for row in rows]

    async def outbox_sent(self, message_id: int, remote_id: str | None, now: datetime) -> None:
        async with self.transaction() as tx:
            await tx.conn.execute(
                "UPDATE outbox SET status = 'sent', sent_at = ?, remote_id = ?, lease_until = NULL,"
                " last_error = NULL WHERE id = ?",
                (iso(now), remote_id, message_id),
            )

    async def outbox_retry(self, message_id: int, error: str, not_before: datetime) -> None:
        async with self.transaction() as tx:
            await tx.conn.execute(
                "UPDATE outbox SET status = 'pending', not_before = ?, lease_until = NULL,"
                " last_error = ? WHERE id = ? AND status = 'sending'",
                (iso(not_before), error[:500], message_id),
            )

    async def outbox_failed(self, message_id: int, error: str) -> None:
        async with self.transaction() as tx:
            await tx.conn.execute(
                "UPDATE outbox SET status = 'failed', lease_until = NULL, last_error = ?"
                " WHERE id = ?",
                (error[:500], message_id),
            )

    async def outbox_status_counts(self) -> dict[str, int]:
        rows = await self._fetch("SELECT status, COUNT(*) FROM outbox GROUP BY status")
        return {row[0]: int(row[1]) for row in rows}


def _split_sql(script: str) -> list[str]:
    """Split a migration into statements (triggers contain ';' inside BEGIN ... END)."""
    statements, current = [], []
    for line in script.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("--"):
            continue
        current.append(line)
        text = "\n".join(current)
        if stripped.endswith(";") and sqlite3.complete_statement(text):
            statements.append(text)
            current = []
    if current:
        statements.append("\n".join(current))
    return statements


def _inbox(row: sqlite3.Row) -> InboxEvent:
    return InboxEvent(
        id=row["id"],
        channel=row["channel"],
        event_key=row["event_key"],
        user_key=row["user_key"],
        payload=row["payload"],
        received_at=parse_iso(row["received_at"]),
        handled_at=_dt(row["handled_at"]),
    )


def _outbox(row: sqlite3.Row) -> OutboxMessage:
    return OutboxMessage(
        id=row["id"],
        channel=row["channel"],
        chat_id=row["chat_id"],
        payload=json.loads(row["payload"]),
        status=row["status"],
        attempts=row["attempts"],
    )


def _resident(row: sqlite3.Row) -> Resident:
    return Resident(
        id=row["id"],
        commune_code=row["commune_code"],
        village_id=row["village_id"],
        village_name=row["village_name"],
        full_name=row["full_name"],
        phone=row["phone"],
        organisation=Organisation(row["organisation"]),
        consent_at=parse_iso(row["consent_at"]),
        created_at=parse_iso(row["created_at"]),
        erased_at=_dt(row["erased_at"]),
    )


def _session(row: sqlite3.Row) -> DialogueSession:
    return DialogueSession(
        id=row["id"],
        commune_code=row["commune_code"],
        title=row["title"],
        starts_at=parse_iso(row["starts_at"]),
        place=row["place"],
        chair=row["chair"],
        cutoff_at=parse_iso(row["cutoff_at"]),
        fields=row["fields"],
    )


def _opinion(row: sqlite3.Row) -> Opinion:
    return Opinion(
        id=row["id"],
        ref_code=row["ref_code"],
        resident_id=row["resident_id"],
        commune_code=row["commune_code"],
        session_id=row["session_id"],
        text=row["text"],
        photo_ref=row["photo_ref"],
        channel=row["channel"],
        state=OpinionState(row["state"]),
        created_at=parse_iso(row["created_at"]),
        updated_at=parse_iso(row["updated_at"]),
        topic=row["topic"],
        kind=row["kind"],
        confidence=row["confidence"],
        reasons=json.loads(row["reasons"]),
    )


class SqliteTx:
    """The `Tx` of storage.repository on one open SQLite transaction."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self.conn = conn

    async def _one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        rows = await self.conn.execute_fetchall(sql, params)
        return rows[0] if rows else None

    async def _all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return list(await self.conn.execute_fetchall(sql, params))

    async def _insert(self, sql: str, params: Sequence[Any]) -> int:
        row = await self._one(sql + " RETURNING id", params)
        assert row is not None
        return int(row[0])

    # -- inbox -------------------------------------------------------------------------------
    async def inbox_is_handled(self, channel: str, event_key: str) -> bool:
        row = await self._one(
            "SELECT handled_at FROM inbox WHERE channel = ? AND event_key = ?", (channel, event_key)
        )
        return row is not None and row[0] is not None

    async def inbox_mark_handled(self, channel: str, event_key: str, now: datetime) -> None:
        await self.conn.execute(
            "UPDATE inbox SET handled_at = ? WHERE channel = ? AND event_key = ?",
            (iso(now), channel, event_key),
        )

    # -- conversation ------------------------------------------------------------------------
    async def conversation_get(self, channel: str, user_key: str) -> ConversationState | None:
        row = await self._one(
            "SELECT step, data FROM conversations WHERE channel = ? AND user_key = ?",
            (channel, user_key),
        )
        if row is None:
            return None
        return ConversationState(channel, user_key, row["step"], json.loads(row["data"]))

    async def conversation_put(self, state: ConversationState, now: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO conversations (channel, user_key, step, data, updated_at)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel, user_key) DO UPDATE SET"
            " step = excluded.step, data = excluded.data, updated_at = excluded.updated_at",
            (
                state.channel,
                state.user_key,
                state.step,
                json.dumps(state.data, ensure_ascii=False),
                iso(now),
            ),
        )

    async def conversation_delete(self, channel: str, user_key: str) -> None:
        await self.conn.execute(
            "DELETE FROM conversations WHERE channel = ? AND user_key = ?", (channel, user_key)
        )

    # -- communes ----------------------------------------------------------------------------
    async def commune_get(self, code: int) -> Commune | None:
        row = await self._one("SELECT code, name, province FROM communes WHERE code = ?", (code,))
        return Commune(row[0], row[1], row[2]) if row else None

    async def communes_list(self) -> list[Commune]:
        rows = await self._all("SELECT code, name, province FROM communes ORDER BY name")
        return [Commune(r[0], r[1], r[2]) for r in rows]

    async def commune_put(self, commune: Commune, now: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO communes (code, name, province, added_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (code) DO UPDATE SET name = excluded.name, province = excluded.province",
            (commune.code, commune.name, commune.province, iso(now)),
        )

    async def villages_list(self, commune_code: int) -> list[Village]:
        rows = await self._all(
            "SELECT id, commune_code, name FROM villages WHERE commune_code = ? ORDER BY id",
            (commune_code,),
        )
        return [Village(r[0], r[1], r[2]) for r in rows]

    async def village_get(self, village_id: int) -> Village | None:
        row = await self._one(
            "SELECT id, commune_code, name FROM villages WHERE id = ?", (village_id,)
        )
        return Village(row[0], row[1], row[2]) if row else None

    async def village_add(self, commune_code: int, name: str) -> Village:
        row = await self._one(
            "INSERT INTO villages (commune_code, name) VALUES (?, ?)"
            " ON CONFLICT (commune_code, name) DO UPDATE SET name = excluded.name RETURNING id",
            (commune_code, name),
        )
        assert row is not None
        return Village(int(row[0]), commune_code, name)

    # -- residents ---------------------------------------------------------------------------
    async def resident_add(self, resident: Resident) -> int:
        return await self._insert(
            "INSERT INTO residents (commune_code, village_id, village_name, full_name, phone,"
            " organisation, consent_at, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                resident.commune_code,
                resident.village_id,
                resident.village_name,
                resident.full_name,
                resident.phone,
                resident.organisation.value,
                iso(resident.consent_at),
                iso(resident.created_at),
            ),
        )

    async def resident_get(self, resident_id: int) -> Resident | None:
        row = await self._one("SELECT * FROM residents WHERE id = ?", (resident_id,))
        return _resident(row) if row else None

    async def resident_update(self, resident: Resident) -> None:
        await self.conn.execute(
            "UPDATE residents SET village_id = ?, village_name = ?, full_name = ?, phone = ?,"
            " organisation = ?, erased_at = ? WHERE id = ?",
            (
                resident.village_id,
                resident.village_name,
                resident.full_name,
                resident.phone,
                resident.organisation.value,
                iso(resident.erased_at) if resident.erased_at else None,
                resident.id,
            ),
        )

    async def identity_resident(self, channel: str, user_key: str) -> int | None:
        row = await self._one(
            "SELECT resident_id FROM identities WHERE channel = ? AND user_key = ?",
            (channel, user_key),
        )
        return int(row[0]) if row else None

    async def identity_add(
        self, channel: str, user_key: str, chat_id: str, resident_id: int, now: datetime
    ) -> None:
        await self.conn.execute(
            "INSERT INTO identities (channel, user_key, chat_id, resident_id, created_at)"
            " VALUES (?, ?, ?, ?, ?)",
            (channel, user_key, chat_id, resident_id, iso(now)),
        )

    async def identities_delete(self, resident_id: int) -> list[tuple[str, str, str]]:
        rows = await self._all(
            "DELETE FROM identities WHERE resident_id = ? RETURNING channel, user_key, chat_id",
            (resident_id,),
        )
        return [(r[0], r[1], r[2]) for r in rows]

    # -- sessions ----------------------------------------------------------------------------
    async def session_add(self, session: DialogueSession, now: datetime) -> int:
        return await self._insert(
            "INSERT INTO sessions (commune_code, title, starts_at, place, chair, cutoff_at,"
            " fields, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                session.commune_code,
                session.title,
                iso(session.starts_at),
                session.place,
                session.chair,
                iso(session.cutoff_at),
                session.fields,
                iso(now),
            ),
        )

    async def session_get(self, session_id: int) -> DialogueSession | None:
        row = await self._one("SELECT * FROM sessions WHERE id = ?", (session_id,))
        return _session(row) if row else None

    async def session_open(self, commune_code: int, now: datetime) -> DialogueSession | None:
        row = await self._one(
            "SELECT * FROM sessions WHERE commune_code = ? AND cutoff_at > ?"
            " ORDER BY cutoff_at, id LIMIT 1",
            (commune_code, iso(now)),
        )
        return _session(row) if row else None

    async def session_upcoming(self, commune_code: int, now: datetime) -> DialogueSession | None:
        row = await self._one(
            "SELECT * FROM sessions WHERE commune_code = ? AND starts_at > ?"
            " ORDER BY starts_at, id LIMIT 1",
            (commune_code, iso(now)),
        )
        return _session(row) if row else None

    async def sessions_list(self, commune_code: int | None = None) -> list[DialogueSession]:
        if commune_code is None:
            rows = await self._all("SELECT * FROM sessions ORDER BY starts_at")
        else:
            rows = await self._all(
                "SELECT * FROM sessions WHERE commune_code = ? ORDER BY starts_at",
                (commune_code,),
            )
        return [_session(r) for r in rows]

    # -- opinions ----------------------------------------------------------------------------
    async def opinion_add(self, opinion: Opinion, source_event: str | None) -> int:
        return await self._insert(
            "INSERT INTO opinions (ref_code, resident_id, commune_code, session_id, text,"
            " photo_ref, channel, source_event, state, topic, kind, confidence, reasons,"
            " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                opinion.ref_code,
                opinion.resident_id,
                opinion.commune_code,
                opinion.session_id,
                opinion.text,
                opinion.photo_ref,
                opinion.channel,
                source_event,
                opinion.state.value,
                opinion.topic,
                opinion.kind,
                opinion.confidence,
                json.dumps(opinion.reasons, ensure_ascii=False),
                iso(opinion.created_at),
                iso(opinion.updated_at),
            ),
        )

    async def opinion_by_code(self, ref_code: str) -> Opinion | None:
        row = await self._one("SELECT * FROM opinions WHERE ref_code = ?", (ref_code,))
        return _opinion(row) if row else None

    async def opinion_by_source(self, source_event: str) -> Opinion | None:
        row = await self._one("SELECT * FROM opinions WHERE source_event = ?", (source_event,))
        return _opinion(row) if row else None

    async def opinions_of_resident(self, resident_id: int, limit: int) -> list[Opinion]:
        rows = await self._all(
            "SELECT * FROM opinions WHERE resident_id = ? ORDER BY id DESC LIMIT ?",
            (resident_id, limit),
        )
        return [_opinion(r) for r in rows]

    async def opinion_count_of_resident(self, resident_id: int) -> int:
        row = await self._one("SELECT COUNT(*) FROM opinions WHERE resident_id = ?", (resident_id,))
        return int(row[0]) if row else 0

    async def opinion_update(self, opinion: Opinion) -> None:
        await self.conn.execute(
            "UPDATE opinions SET session_id = ?, text = ?, photo_ref = ?, state = ?, topic = ?,"
            " kind = ?, confidence = ?, reasons = ?, updated_at = ? WHERE id = ?",
            (
                opinion.session_id,
                opinion.text,
                opinion.photo_ref,
                opinion.state.value,
                opinion.topic,
                opinion.kind,
                opinion.confidence,
                json.dumps(opinion.reasons, ensure_ascii=False),
                iso(opinion.updated_at),
                opinion.id,
            ),
        )

    async def opinion_event_add(
        self,
        opinion_id: int,
        from_state: OpinionState | None,
        to_state: OpinionState,
        actor: str,
        reason: str,
        now: datetime,
    ) -> None:
        await self.conn.execute(
            "INSERT INTO opinion_events (opinion_id, from_state, to_state, actor, reason, at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (
                opinion_id,
                from_state.value if from_state else None,
                to_state.value,
                actor,
                reason,
                iso(now),
            ),
        )

    async def opinion_revision_add(self, opinion_id: int, old_text: str, now: datetime) -> None:
        await self.conn.execute(
            "INSERT INTO opinion_revisions (opinion_id, old_text, at) VALUES (?, ?, ?)",
            (opinion_id, old_text, iso(now)),
        )

    # -- outbox ------------------------------------------------------------------------------
    async def outbox_add(
        self,
        channel: str,
        chat_id: str,
        payload: dict[str, Any],
        now: datetime,
        source_event: str | None = None,
        lease_until: datetime | None = None,
    ) -> int:
        # A message created with a lease is owned by its creator, who sends it at once;
        # if that process dies, the lease expires and the outbox loop sends it instead.
        status = "sending" if lease_until else "pending"
        return await self._insert(
            "INSERT INTO outbox (channel, chat_id, payload, status, attempts, not_before,"
            " lease_until, created_at, source_event) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                channel,
                chat_id,
                json.dumps(payload, ensure_ascii=False),
                status,
                1 if lease_until else 0,
                iso(now),
                iso(lease_until) if lease_until else None,
                iso(now),
                source_event,
            ),
        )

    # -- erasure -----------------------------------------------------------------------------
    async def redact_channel_data(self, channel: str, user_key: str, chat_id: str) -> None:
        """Remove what the channel told us about a person (names, usernames in raw updates)."""
        await self.conn.execute(
            "UPDATE inbox SET payload = '{\"redacted\": true}', user_key = NULL"
            " WHERE channel = ? AND user_key = ?",
            (channel, user_key),
        )
        await self.conn.execute(
            "UPDATE outbox SET status = CASE WHEN status IN ('pending', 'sending')"
            " THEN 'cancelled' ELSE status END, payload = '{\"redacted\": true}', chat_id = ''"
            " WHERE channel = ? AND chat_id = ?",
            (channel, chat_id),
        )
        await self.conversation_delete(channel, user_key)
