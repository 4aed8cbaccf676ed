"""The SQLite implementation of the storage interface, on aiosqlite.

One connection, WAL journal, foreign keys on, a busy timeout for other processes. Every
access is a unit of work run on the connection's thread, so transactions never interleave.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
from collections.abc import Callable, Sequence
from datetime import date, datetime
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import aiosqlite

from bot.clock import iso, parse_iso
from bot.errors import DuplicateKey, StorageError
from bot.model import (
    Answer,
    AnswerMode,
    Commune,
    DialogueSession,
    Opinion,
    OpinionState,
    Organisation,
    Resident,
    Role,
    SessionState,
    StaffRole,
    Village,
)
from bot.ports import (
    Backlog,
    BroadcastProgress,
    CardCopy,
    ComponentHealth,
    ConversationState,
    Identity,
    InboxEvent,
    LinkCode,
    NewInbound,
    OpinionEvent,
    OutboxMessage,
    Quarantined,
    Speaker,
    WorkerRecord,
)

log = logging.getLogger(__name__)

BUSY_TIMEOUT_MS = 10_000
GROUP_COMMIT_MAX = 64  # units of work per transaction: bounds how long the write lock is held
T = TypeVar("T")


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
    """Open with `await store.open()`; `await store.run(work)` runs a unit of work."""

    def __init__(self, path: str | Path) -> None:
        self.path = str(path)
        self._conn: aiosqlite.Connection | None = None
        self._waiting: list[tuple[Callable[[SqliteTx], Any], asyncio.Future[Any]]] = []
        self._flusher: asyncio.Task[None] | None = None

    # -- lifecycle ---------------------------------------------------------------------------
    async def open(self) -> None:
        if self.path != ":memory:":
            Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._conn = await aiosqlite.connect(self.path, isolation_level=None)
        self._conn.row_factory = sqlite3.Row
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA synchronous=NORMAL",  # durable against process crashes; fsync at checkpoint
            "PRAGMA foreign_keys=ON",
            f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}",
            "PRAGMA cache_size=-65536",  # 64 MiB of pages: indexes stay in memory
            "PRAGMA mmap_size=268435456",  # read through the OS page cache, no copies
            "PRAGMA temp_store=MEMORY",
            "PRAGMA secure_delete=ON",  # erased personal data is overwritten, not just freed
        ):
            await self._conn.execute(pragma)
        await self.run(_migrate)

    async def close(self) -> None:
        if self._flusher is not None:
            await asyncio.gather(self._flusher, return_exceptions=True)
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise StorageError("the store is not open")
        return self._conn

    async def run(self, work: Callable[[SqliteTx], T]) -> T:
        """Run `work(tx)` atomically on the connection's own thread; return its result.

        Units of work that arrive while the database is busy are run together in one
        transaction (group commit), each inside its own SAVEPOINT, so that one unit's error
        rolls back that unit alone. A caller gets its result only after the shared COMMIT: a
        result in hand means the data is in the database.
        """
        if self._conn is None:
            raise StorageError("the store is not open")
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._waiting.append((work, future))
        if self._flusher is None or self._flusher.done():
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        conn = self.conn
        while self._waiting:
            batch = self._waiting[:GROUP_COMMIT_MAX]
            del self._waiting[:GROUP_COMMIT_MAX]
            try:
                # aiosqlite runs every call on one worker thread, in order; handing it the whole
                # batch (its internal `_execute`, pinned by the version range in pyproject.toml)
                # makes it one round trip, and nothing can interleave with a transaction.
                outcomes = await conn._execute(_run_batch, conn._conn, [w for w, _ in batch])
            except BaseException as exc:  # the COMMIT itself failed: every unit failed
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                if not isinstance(exc, Exception):
                    raise
                continue
            for (_, future), (ok, value) in zip(batch, outcomes, strict=True):
                if future.done():  # the caller was cancelled meanwhile
                    continue
                if ok:
                    future.set_result(value)
                else:
                    future.set_exception(value)

    async def compact(self) -> None:
        """Copy the WAL into the database and truncate it, so that the journal keeps no old
        page images (with secure_delete, freed space in the database is already zeroed)."""
        await self.run(lambda tx: None)  # after every unit queued before us has committed
        try:
            await self.conn.execute_fetchall("PRAGMA wal_checkpoint(TRUNCATE)")
        except sqlite3.Error as err:  # another process reading: the next checkpoint does it
            log.warning("WAL checkpoint after erasure failed: %s", err)

    async def schema_version(self) -> int:
        return await self.run(
            lambda tx: int(
                tx.conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()[0] or 0
            )
        )

    # -- inbox -------------------------------------------------------------------------------
    async def inbox_store(self, events: Sequence[NewInbound], now: datetime) -> list[bool]:
        if not events:
            return []
        stamp = iso(now)

        def store(tx: SqliteTx) -> list[bool]:
            fresh = []
            for ev in events:
                row = tx.conn.execute(
                    "INSERT INTO inbox (channel, event_key, user_key, payload, received_at)"
                    " VALUES (?, ?, ?, ?, ?) ON CONFLICT (channel, event_key) DO NOTHING"
                    " RETURNING id",
                    (ev.channel, ev.event_key, ev.user_key, ev.payload, stamp),
                ).fetchone()
                fresh.append(row is not None)
            return fresh

        return await self.run(store)

    async def inbox_unhandled(self, channel: str, limit: int = 1000) -> list[InboxEvent]:
        rows = await self.run(lambda tx: tx.conn.execute(
            "SELECT * FROM inbox WHERE channel = ? AND handled_at IS NULL ORDER BY id LIMIT ?",
            (channel, limit),
        ).fetchall())  # fmt: skip
        return [_inbox(row) for row in rows]

    async def inbox_count(self, channel: str | None = None) -> int:
        if channel is None:
            sql, params = "SELECT COUNT(*) FROM inbox", ()
        else:
            sql, params = "SELECT COUNT(*) FROM inbox WHERE channel = ?", (channel,)
        return await self.run(lambda tx: int(tx.conn.execute(sql, params).fetchone()[0]))

    async def inbox_quarantine(
        self, channel: str, event_key: str, payload: str, reason: str, now: datetime
    ) -> bool:
        stamp = iso(now)

        def quarantine(tx: SqliteTx) -> bool:
            fresh = tx.conn.execute(
                "INSERT INTO inbox (channel, event_key, user_key, payload, received_at,"
                " handled_at, quarantined) VALUES (?, ?, NULL, ?, ?, ?, ?)"
                " ON CONFLICT (channel, event_key) DO NOTHING RETURNING id",
                (channel, event_key, payload, stamp, stamp, reason[:500]),
            ).fetchone()
            if fresh is None:  # stored before (e.g. parsed then failed): quarantine that row
                tx.conn.execute(
                    "UPDATE inbox SET quarantined = ?, handled_at = COALESCE(handled_at, ?)"
                    " WHERE channel = ? AND event_key = ? AND quarantined IS NULL",
                    (reason[:500], stamp, channel, event_key),
                )
            return fresh is not None

        return await self.run(quarantine)

    async def inbox_quarantined(self, limit: int = 50) -> list[Quarantined]:
        rows = await self.run(lambda tx: tx.conn.execute(
            "SELECT * FROM inbox WHERE quarantined IS NOT NULL ORDER BY id DESC LIMIT ?",
            (limit,),
        ).fetchall())  # fmt: skip
        return [
            Quarantined(
                r["id"], r["channel"], r["event_key"], r["payload"], r["quarantined"],
                parse_iso(r["received_at"]),
            )
            for r in rows
        ]

    # -- outbox ------------------------------------------------------------------------------
    async def outbox_claim(
        self,
        now: datetime,
        lease_until: datetime,
        limit: int,
        channel: str | None = None,
        owner: str | None = None,
    ) -> list[OutboxMessage]:
        stamp = iso(now)
        channel_sql = "AND channel = ?" if channel else ""
        params: list[Any] = [iso(lease_until), owner, stamp, stamp]
        if channel:
            params.append(channel)
        params.append(limit)
        rows = await self.run(lambda tx: tx.conn.execute(
            "UPDATE outbox SET status = 'sending', lease_until = ?, lease_owner = ?,"
            " attempts = attempts + 1"
            " WHERE id IN (SELECT id FROM outbox WHERE"
            " ((status = 'pending' AND not_before <= ?)"
            "  OR (status = 'sending' AND lease_until < ?))"
            f" {channel_sql} ORDER BY id LIMIT ?)"
            " RETURNING *",
            params,
        ).fetchall())  # fmt: skip
        return sorted((_outbox(row) for row in rows), key=lambda m: m.id)

    async def _write(self, sql: str, params: Sequence[Any]) -> None:
        await self.run(lambda tx: tx.conn.execute(sql, params))

    async def outbox_sent(self, message_id: int, remote_id: str | None, now: datetime) -> None:
        await self._write(
            "UPDATE outbox SET status = 'sent', sent_at = ?, remote_id = ?, lease_until = NULL,"
            " last_error = NULL WHERE id = ?",
            (iso(now), remote_id, message_id),
        )

    async def outbox_remote_id(self, message_id: int) -> str | None:
        row = await self.run(lambda tx: tx._one("SELECT remote_id FROM outbox WHERE id = ?",
                                                (message_id,)))  # fmt: skip
        return row[0] if row else None

    async def outbox_retry(self, message_id: int, error: str, not_before: datetime) -> None:
        await self._write(
            "UPDATE outbox SET status = 'pending', not_before = ?, lease_until = NULL,"
            " last_error = ? WHERE id = ? AND status = 'sending'",
            (iso(not_before), error[:500], message_id),
        )

    async def outbox_failed(self, message_id: int, error: str) -> None:
        await self._write(
            "UPDATE outbox SET status = 'failed', lease_until = NULL, last_error = ? WHERE id = ?",
            (error[:500], message_id),
        )

    async def identity_deactivate(self, channel: str, chat_id: str, now: datetime) -> None:
        """The person blocked the bot: leave them out of broadcasts until they write again."""
        await self._write(
            "UPDATE identities SET inactive_at = ? WHERE channel = ? AND chat_id = ?"
            " AND inactive_at IS NULL",
            (iso(now), channel, chat_id),
        )

    async def outbox_status_counts(self) -> dict[str, int]:
        rows = await self.run(lambda tx: tx.conn.execute(
            "SELECT status, COUNT(*) FROM outbox GROUP BY status"
        ).fetchall())  # fmt: skip
        return {row[0]: int(row[1]) for row in rows}


    # -- workers and health ----------------------------------------------------------------
    async def worker_start(self, worker: WorkerRecord) -> None:
        await self._write(
            "INSERT INTO workers (id, host, pid, proc_start, started_at, heartbeat_at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (worker.id, worker.host, worker.pid, worker.proc_start, iso(worker.started_at),
             iso(worker.heartbeat_at)),
        )  # fmt: skip

    async def worker_heartbeat(self, worker_id: str, now: datetime) -> None:
        await self._write("UPDATE workers SET heartbeat_at = ? WHERE id = ?", (iso(now), worker_id))

    async def worker_stop(self, worker_id: str, now: datetime) -> None:
        await self.workers_release([worker_id], now)

    async def workers_live(self) -> list[WorkerRecord]:
        rows = await self.run(lambda tx: tx.conn.execute(
            "SELECT * FROM workers WHERE stopped_at IS NULL ORDER BY started_at"
        ).fetchall())  # fmt: skip
        return [
            WorkerRecord(
                r["id"], r["host"], r["pid"], r["proc_start"], parse_iso(r["started_at"]),
                parse_iso(r["heartbeat_at"]), _dt(r["stopped_at"]),
            )
            for r in rows
        ]

    async def workers_release(self, worker_ids: Sequence[str], now: datetime) -> int:
        if not worker_ids:
            return 0
        stamp = iso(now)

        def release(tx: SqliteTx) -> int:
            freed = 0
            for worker_id in worker_ids:
                tx.conn.execute(
                    "UPDATE workers SET stopped_at = ? WHERE id = ? AND stopped_at IS NULL",
                    (stamp, worker_id),
                )
                # An expired lease is what the claim looks for: due now, for whoever claims.
                freed += tx.conn.execute(
                    "UPDATE outbox SET lease_until = '0000' WHERE status = 'sending'"
                    " AND lease_owner = ?",
                    (worker_id,),
                ).rowcount
            return freed

        return await self.run(release)

    async def health_mark(
        self, component: str, worker: str, now: datetime, error: str | None = None
    ) -> None:
        if error is None:
            sql = (
                "INSERT INTO health (component, worker, ok_at) VALUES (?, ?, ?)"
                " ON CONFLICT (component, worker) DO UPDATE SET ok_at = excluded.ok_at"
            )
            params: tuple[Any, ...] = (component, worker, iso(now))
        else:
            sql = (
                "INSERT INTO health (component, worker, error_at, error) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (component, worker) DO UPDATE SET error_at = excluded.error_at,"
                " error = excluded.error"
            )
            params = (component, worker, iso(now), error[:500])
        await self._write(sql, params)

    async def health_all(self) -> list[ComponentHealth]:
        rows = await self.run(lambda tx: tx.conn.execute(
            "SELECT * FROM health ORDER BY component, worker"
        ).fetchall())  # fmt: skip
        return [
            ComponentHealth(
                r["component"], r["worker"], _dt(r["ok_at"]), _dt(r["error_at"]), r["error"]
            )
            for r in rows
        ]

    async def backlog(self, now: datetime) -> Backlog:
        stamp = iso(now)

        def read(tx: SqliteTx) -> Backlog:
            inbox = tx.conn.execute(
                "SELECT channel, COUNT(*), MIN(received_at) FROM inbox"
                " WHERE handled_at IS NULL GROUP BY channel"
            ).fetchall()
            outbox = tx.conn.execute(
                "SELECT channel, COUNT(*), MIN(CASE WHEN not_before <= ? THEN created_at END)"
                " FROM outbox WHERE status IN ('pending', 'sending') GROUP BY channel",
                (stamp,),
            ).fetchall()
            quarantined = tx.conn.execute(
                "SELECT COUNT(*) FROM inbox WHERE quarantined IS NOT NULL"
            ).fetchone()[0]
            return Backlog(
                inbox_unhandled={r[0]: int(r[1]) for r in inbox},
                inbox_oldest={r[0]: parse_iso(r[2]) for r in inbox},
                outbox_waiting={r[0]: int(r[1]) for r in outbox},
                outbox_oldest={r[0]: parse_iso(r[2]) for r in outbox if r[2]},
                quarantined=int(quarantined),
            )

        return await self.run(read)


def _run_batch(
    raw: sqlite3.Connection, works: list[Callable[[SqliteTx], Any]]
) -> list[tuple[bool, Any]]:
    """On the database thread: run each unit in a savepoint, all in one transaction."""
    tx = SqliteTx(raw)
    outcomes: list[tuple[bool, Any]] = []
    raw.execute("BEGIN IMMEDIATE")
    try:
        for work in works:
            raw.execute("SAVEPOINT unit")
            try:
                value = work(tx)
            except Exception as exc:
                raw.execute("ROLLBACK TO unit")
                raw.execute("RELEASE unit")
                outcomes.append((False, exc))
            else:
                raw.execute("RELEASE unit")
                outcomes.append((True, value))
        raw.execute("COMMIT")
    except BaseException:
        if raw.in_transaction:
            raw.execute("ROLLBACK")
        raise
    return outcomes


def _migrate(tx: SqliteTx) -> None:
    """Apply the migrations not applied yet (inside the caller's IMMEDIATE transaction, so
    one process migrates and the others wait, then find nothing to do)."""
    conn = tx.conn
    conn.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY,"
        " name TEXT NOT NULL, applied_at TEXT NOT NULL DEFAULT CURRENT_TIMESTAMP)"
    )
    done = {row[0] for row in conn.execute("SELECT version FROM schema_migrations")}
    for version, name, sql in _migrations():
        if version in done:
            continue
        log.info("applying migration %s", name)
        try:
            for statement in _split_sql(sql):
                conn.execute(statement)
        except sqlite3.Error as exc:
            raise StorageError(f"database migration {name} failed: {exc}") from exc
        conn.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", (version, name))


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


# The accounts of resident `i.resident_id` that announcements and answers go to: the ones
# they chose that are reachable, or else their most recent reachable one.
_REACHED = (
    "i.inactive_at IS NULL AND (i.announce = 1 OR (NOT EXISTS (SELECT 1 FROM identities c"
    " WHERE c.resident_id = i.resident_id AND c.announce = 1 AND c.inactive_at IS NULL)"
    " AND i.rowid = (SELECT r2.rowid FROM identities r2 WHERE r2.resident_id = i.resident_id"
    " AND r2.inactive_at IS NULL ORDER BY r2.created_at DESC, r2.rowid DESC LIMIT 1)))"
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
        consent_how=row["consent_how"],
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
        lead_days=row["lead_days"],
        state=SessionState(row["state"]),
        revision=row["revision"],
        conclusion=row["conclusion"],
        concluded_at=_dt(row["concluded_at"]),
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
        version=row["version"],
        department=row["department"],
        merged_into=row["merged_into"],
        due_on=date.fromisoformat(row["due_on"]) if row["due_on"] else None,
    )


def _answer(row: sqlite3.Row) -> Answer:
    return Answer(
        id=row["id"],
        opinion_id=row["opinion_id"],
        department=row["department"],
        officer=row["officer"],
        mode=AnswerMode(row["mode"]),
        text=row["text"],
        status=row["status"],
        created_at=parse_iso(row["created_at"]),
        expected_on=date.fromisoformat(row["expected_on"]) if row["expected_on"] else None,
        forwarded_to=row["forwarded_to"],
        attachments=tuple(json.loads(row["attachments"])),
    )


class SqliteTx:
    """The `Tx` of bot.ports on one open SQLite transaction."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def _one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        return self.conn.execute(sql, params).fetchone()

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return self.conn.execute(sql, params).fetchall()

    def _insert(self, sql: str, params: Sequence[Any]) -> int:
        row = self._one(sql + " RETURNING id", params)
        assert row is not None
        return int(row[0])

    # -- inbox -------------------------------------------------------------------------------
    def inbox_claim(self, channel: str, event_key: str, now: datetime) -> bool:
        row = self._one(
            "UPDATE inbox SET handled_at = ? WHERE channel = ? AND event_key = ?"
            " AND handled_at IS NULL RETURNING id",
            (iso(now), channel, event_key),
        )
        if row is not None:
            return True
        if self._one(
            "SELECT 1 FROM inbox WHERE channel = ? AND event_key = ?", (channel, event_key)
        ):
            return False
        raise StorageError(f"{channel} event {event_key} was handled before it was stored")

    # -- conversation ------------------------------------------------------------------------
    def person(
        self, channel: str, user_key: str
    ) -> tuple[ConversationState | None, Resident | None]:
        row = self._one(
            "SELECT c.step AS c_step, c.data AS c_data, r.* FROM (SELECT ? AS channel, ? AS key) k"
            " LEFT JOIN conversations c ON c.channel = k.channel AND c.user_key = k.key"
            " LEFT JOIN identities i ON i.channel = k.channel AND i.user_key = k.key"
            " LEFT JOIN residents r ON r.id = i.resident_id",
            (channel, user_key),
        )
        assert row is not None
        state = None
        if row["c_step"] is not None:
            state = ConversationState(channel, user_key, row["c_step"], json.loads(row["c_data"]))
        return state, (_resident(row) if row["id"] is not None else None)

    def conversation_put(self, state: ConversationState, now: datetime) -> None:
        self.conn.execute(
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

    def conversation_delete(self, channel: str, user_key: str) -> None:
        self.conn.execute(
            "DELETE FROM conversations WHERE channel = ? AND user_key = ?", (channel, user_key)
        )

    # -- communes ----------------------------------------------------------------------------
    _COMMUNE = (
        "SELECT code, name, province, reception, front_chat, answer_days, answer_review"
        " FROM communes"
    )

    @staticmethod
    def _commune(row: sqlite3.Row) -> Commune:
        return Commune(row[0], row[1], row[2], row[3], row[4], row[5], bool(row[6]))

    def commune_get(self, code: int) -> Commune | None:
        row = self._one(self._COMMUNE + " WHERE code = ?", (code,))
        return self._commune(row) if row else None

    def communes_list(self) -> list[Commune]:
        return [self._commune(r) for r in self._all(self._COMMUNE + " ORDER BY name")]

    def commune_put(self, commune: Commune, now: datetime) -> None:
        self.conn.execute(
            "INSERT INTO communes (code, name, province, reception, front_chat, answer_days,"
            " answer_review, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (code) DO"
            " UPDATE SET name = excluded.name, province = excluded.province,"
            " reception = excluded.reception, front_chat = excluded.front_chat,"
            " answer_days = excluded.answer_days, answer_review = excluded.answer_review",
            (commune.code, commune.name, commune.province, commune.reception,
             commune.front_chat, commune.answer_days, int(commune.answer_review), iso(now)),
        )  # fmt: skip

    # -- answers, satisfaction, deadlines ---------------------------------------------------
    def answer_add(self, answer: Answer) -> int:
        return self._insert(
            "INSERT INTO answers (opinion_id, department, officer, mode, text, expected_on,"
            " forwarded_to, status, created_at, attachments)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (answer.opinion_id, answer.department, answer.officer, answer.mode.value,
             answer.text, answer.expected_on.isoformat() if answer.expected_on else None,
             answer.forwarded_to, answer.status, iso(answer.created_at),
             json.dumps(list(answer.attachments))),
        )  # fmt: skip

    def answer_get(self, answer_id: int) -> Answer | None:
        row = self._one("SELECT * FROM answers WHERE id = ?", (answer_id,))
        return _answer(row) if row else None

    def answers_of(self, opinion_id: int) -> list[Answer]:
        rows = self._all("SELECT * FROM answers WHERE opinion_id = ? ORDER BY id", (opinion_id,))
        return [_answer(r) for r in rows]

    def answer_set_status(self, answer_id: int, status: str, now: datetime) -> bool:
        """Move an answer out of review, once (False if it was not pending any more)."""
        cur = self.conn.execute(
            "UPDATE answers SET status = ?, published_at = CASE WHEN ? = 'published' THEN ?"
            " ELSE published_at END WHERE id = ? AND status = 'pending_review'",
            (status, status, iso(now), answer_id),
        )
        return cur.rowcount == 1

    def answer_publish(self, answer_id: int, now: datetime) -> None:
        self.conn.execute(
            "UPDATE answers SET status = 'published', published_at = ? WHERE id = ?",
            (iso(now), answer_id),
        )

    def merged_members(self, opinion_id: int) -> list[Opinion]:
        rows = self._all("SELECT * FROM opinions WHERE merged_into = ? ORDER BY id", (opinion_id,))
        return [_opinion(r) for r in rows]

    def satisfaction_last(self, opinion_id: int) -> bool | None:
        row = self._one(
            "SELECT satisfied FROM satisfaction WHERE opinion_id = ? ORDER BY id DESC LIMIT 1",
            (opinion_id,),
        )
        return None if row is None else bool(row[0])

    def satisfaction_add(
        self, opinion_id: int, resident_id: int, satisfied: bool, comment: str, now: datetime
    ) -> None:
        self.conn.execute(
            "INSERT INTO satisfaction (opinion_id, resident_id, satisfied, comment, at)"
            " VALUES (?, ?, ?, ?, ?)",
            (opinion_id, resident_id, int(satisfied), comment, iso(now)),
        )

    def days_off(self, commune_code: int) -> list[date]:
        rows = self._all("SELECT day FROM days_off WHERE commune_code IN (0, ?)", (commune_code,))
        return [date.fromisoformat(r[0]) for r in rows]

    def day_off_add(self, commune_code: int, day: date, name: str) -> None:
        self.conn.execute(
            "INSERT INTO days_off (commune_code, day, name) VALUES (?, ?, ?)"
            " ON CONFLICT DO UPDATE SET name = excluded.name",
            (commune_code, day.isoformat(), name),
        )

    def opinions_assigned_due(self) -> list[Opinion]:
        rows = self._all(
            "SELECT * FROM opinions WHERE state = 'assigned' AND due_on IS NOT NULL ORDER BY due_on"
        )
        return [_opinion(r) for r in rows]

    def deadline_notice_once(self, opinion_id: int, kind: str, now: datetime) -> bool:
        """True the first time only: each notice is sent once, even across processes."""
        row = self._one(
            "INSERT INTO deadline_notices (opinion_id, kind, at) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING RETURNING opinion_id",
            (opinion_id, kind, iso(now)),
        )
        return row is not None

    # -- staff, invitations, departments ---------------------------------------------------
    def staff_roles(self, channel: str, user_key: str) -> list[StaffRole]:
        rows = self._all(
            "SELECT role, commune_code, department FROM staff WHERE channel = ? AND user_key = ?",
            (channel, user_key),
        )
        return [StaffRole(Role(r[0]), r[1], r[2]) for r in rows]

    def staff_add(
        self,
        channel: str,
        user_key: str,
        role: StaffRole,
        added_by: str,
        now: datetime,
        name: str = "",
    ) -> bool:
        row = self._one(
            "INSERT INTO staff (channel, user_key, role, commune_code, department, name,"
            " added_by, added_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING"
            " RETURNING id",
            (channel, user_key, role.role.value, role.commune_code, role.department, name,
             added_by, iso(now)),
        )  # fmt: skip
        return row is not None

    def staff_name(self, channel: str, user_key: str) -> str:
        row = self._one(
            "SELECT name FROM staff WHERE channel = ? AND user_key = ? AND name != '' LIMIT 1",
            (channel, user_key),
        )
        return row[0] if row else ""

    def identities_of(self, resident_id: int) -> list[tuple[str, str]]:
        rows = self._all(
            f"SELECT i.channel, i.chat_id FROM identities i WHERE i.resident_id = ? AND {_REACHED}",
            (resident_id,),
        )
        return [(r[0], r[1]) for r in rows]

    def staff_remove(self, channel: str, user_key: str, commune_code: int | None) -> int:
        if commune_code is None:
            cur = self.conn.execute(
                "DELETE FROM staff WHERE channel = ? AND user_key = ?", (channel, user_key)
            )
        else:
            cur = self.conn.execute(
                "DELETE FROM staff WHERE channel = ? AND user_key = ? AND commune_code = ?",
                (channel, user_key, commune_code),
            )
        return cur.rowcount

    def staff_all(self) -> list[tuple[str, str, StaffRole]]:
        rows = self._all(
            "SELECT channel, user_key, role, commune_code, department FROM staff"
            " ORDER BY commune_code, role, user_key"
        )
        return [(r[0], r[1], StaffRole(Role(r[2]), r[3], r[4])) for r in rows]

    def staff_with_role(
        self, commune_code: int, role: Role, department: str | None = None
    ) -> list[tuple[str, str]]:
        dept_sql = " AND department = ?" if department is not None else ""
        rows = self._all(
            "SELECT DISTINCT channel, user_key FROM staff WHERE commune_code = ? AND role = ?"
            + dept_sql,
            (commune_code, role.value) + ((department,) if department is not None else ()),
        )
        return [(r[0], r[1]) for r in rows]

    def invitation_add(
        self, code: str, role: StaffRole, created_by: str, now: datetime, expires: datetime
    ) -> None:
        self.conn.execute(
            "INSERT INTO invitations (code, role, commune_code, department, created_by,"
            " created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (code, role.role.value, role.commune_code, role.department, created_by, iso(now),
             iso(expires)),
        )  # fmt: skip

    def invitation_use(self, code: str, used_by: str, now: datetime) -> StaffRole | None:
        row = self._one(
            "UPDATE invitations SET used_by = ?, used_at = ? WHERE code = ? AND used_at IS NULL"
            " AND expires_at > ? RETURNING role, commune_code, department",
            (used_by, iso(now), code, iso(now)),
        )
        return StaffRole(Role(row[0]), row[1], row[2]) if row else None

    def departments_list(self, commune_code: int) -> list[tuple[str, str]]:
        rows = self._all(
            "SELECT code, name FROM departments WHERE commune_code = ? ORDER BY name",
            (commune_code,),
        )
        return [(r[0], r[1]) for r in rows]

    def department_put(self, commune_code: int, code: str, name: str) -> None:
        self.conn.execute(
            "INSERT INTO departments (commune_code, code, name) VALUES (?, ?, ?)"
            " ON CONFLICT DO UPDATE SET name = excluded.name",
            (commune_code, code, name),
        )

    def field_department(self, commune_code: int, topic: str) -> str | None:
        row = self._one(
            "SELECT department FROM field_departments WHERE commune_code = ? AND topic = ?",
            (commune_code, topic),
        )
        return row[0] if row else None

    def field_department_put(self, commune_code: int, topic: str, department: str) -> None:
        self.conn.execute(
            "INSERT INTO field_departments (commune_code, topic, department) VALUES (?, ?, ?)"
            " ON CONFLICT DO UPDATE SET department = excluded.department",
            (commune_code, topic, department),
        )

    def villages_list(self, commune_code: int) -> list[Village]:
        rows = self._all(
            "SELECT id, commune_code, name FROM villages WHERE commune_code = ? ORDER BY id",
            (commune_code,),
        )
        return [Village(r[0], r[1], r[2]) for r in rows]

    def village_get(self, village_id: int) -> Village | None:
        row = self._one("SELECT id, commune_code, name FROM villages WHERE id = ?", (village_id,))
        return Village(row[0], row[1], row[2]) if row else None

    def village_add(self, commune_code: int, name: str) -> Village:
        row = self._one(
            "INSERT INTO villages (commune_code, name) VALUES (?, ?)"
            " ON CONFLICT (commune_code, name) DO UPDATE SET name = excluded.name RETURNING id",
            (commune_code, name),
        )
        assert row is not None
        return Village(int(row[0]), commune_code, name)

    # -- residents ---------------------------------------------------------------------------
    def resident_add(self, resident: Resident) -> int:
        return self._insert(
            "INSERT INTO residents (commune_code, village_id, village_name, full_name, phone,"
            " organisation, consent_at, created_at, consent_how)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                resident.commune_code,
                resident.village_id,
                resident.village_name,
                resident.full_name,
                resident.phone,
                resident.organisation.value,
                iso(resident.consent_at),
                iso(resident.created_at),
                resident.consent_how,
            ),
        )

    def resident_get(self, resident_id: int) -> Resident | None:
        row = self._one("SELECT * FROM residents WHERE id = ?", (resident_id,))
        return _resident(row) if row else None

    def resident_update(self, resident: Resident) -> None:
        self.conn.execute(
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

    def identity_add(
        self, channel: str, user_key: str, chat_id: str, resident_id: int, now: datetime,
        announce: bool = True,
    ) -> None:  # fmt: skip
        self.conn.execute(
            "INSERT INTO identities (channel, user_key, chat_id, resident_id, created_at,"
            " announce) VALUES (?, ?, ?, ?, ?, ?)",
            (channel, user_key, chat_id, resident_id, iso(now), int(announce)),
        )

    def identities_list(self, resident_id: int) -> list[Identity]:
        rows = self._all(
            "SELECT channel, user_key, chat_id, announce, inactive_at FROM identities"
            " WHERE resident_id = ? ORDER BY created_at, rowid",
            (resident_id,),
        )
        return [Identity(r[0], r[1], r[2], bool(r[3]), r[4] is None) for r in rows]

    def announce_set(self, resident_id: int, channels: Sequence[str]) -> None:
        marks = ", ".join("?" * len(channels)) or "NULL"
        self.conn.execute(
            f"UPDATE identities SET announce = (channel IN ({marks})) WHERE resident_id = ?",
            (*channels, resident_id),
        )

    def residents_by_phone(self, phone: str) -> list[Resident]:
        rows = self._all(
            "SELECT * FROM residents WHERE phone = ? AND erased_at IS NULL ORDER BY id DESC",
            (phone,),
        )
        return [_resident(r) for r in rows]

    def resident_merge(self, source_id: int, target_id: int, now: datetime) -> None:
        """Fold one resident into another: accounts, opinions, answers' ratings and speaking
        turns move; the emptied record stays, pointing at the one it became."""
        for table in ("identities", "opinions", "satisfaction"):
            self.conn.execute(
                f"UPDATE {table} SET resident_id = ? WHERE resident_id = ?", (target_id, source_id)
            )
        self.conn.execute(
            "UPDATE OR IGNORE speakers SET resident_id = ? WHERE resident_id = ?",
            (target_id, source_id),
        )
        self.conn.execute("DELETE FROM speakers WHERE resident_id = ?", (source_id,))
        self.conn.execute(
            "UPDATE residents SET merged_into = ?, erased_at = ?, full_name = '', phone = NULL,"
            " village_id = NULL, village_name = '', organisation = 'none' WHERE id = ?",
            (target_id, iso(now), source_id),
        )

    def link_code_add(
        self, resident_id: int, channel: str, user_key: str, code_hash: str, now: datetime,
        expires_at: datetime,
    ) -> None:  # fmt: skip
        self.conn.execute(
            "INSERT INTO link_codes (resident_id, channel, user_key, code_hash, created_at,"
            " expires_at) VALUES (?, ?, ?, ?, ?, ?)",
            (resident_id, channel, user_key, code_hash, iso(now), iso(expires_at)),
        )

    def link_codes_sent(self, resident_id: int, since: datetime) -> int:
        row = self._one(
            "SELECT COUNT(*) FROM link_codes WHERE resident_id = ? AND created_at >= ?",
            (resident_id, iso(since)),
        )
        return int(row[0]) if row else 0

    def link_codes_open(self, channel: str, user_key: str, now: datetime) -> list[LinkCode]:
        rows = self._all(
            "SELECT id, resident_id, code_hash, tries FROM link_codes WHERE channel = ?"
            " AND user_key = ? AND used_at IS NULL AND expires_at > ? ORDER BY id",
            (channel, user_key, iso(now)),
        )
        return [LinkCode(r[0], r[1], r[2], r[3]) for r in rows]

    def link_code_mark(self, code_id: int, now: datetime, used: bool) -> None:
        """A wrong try (counted), or the code used (never again)."""
        self.conn.execute(
            "UPDATE link_codes SET tries = tries + ?, used_at = ? WHERE id = ?",
            (0 if used else 1, iso(now) if used else None, code_id),
        )

    def last_offered(self, channel: str, chat_id: str) -> list[str]:
        """The choices of the last batch sent to a chat (one turn's replies, one notice, one
        announcement): what a typed "2" refers to. The latest message with choices wins."""
        last = self._one(
            "SELECT payload, source_event FROM outbox WHERE channel = ? AND chat_id = ?"
            " AND json_extract(payload, '$.edit') IS NULL ORDER BY id DESC LIMIT 1",
            (channel, chat_id),
        )
        if last is None:
            return []
        batch = [last[0]]
        if last[1] is not None:
            batch = [r[0] for r in self._all(
                "SELECT payload FROM outbox WHERE channel = ? AND chat_id = ?"
                " AND source_event = ? ORDER BY id DESC LIMIT 10",
                (channel, chat_id, last[1]),
            )]  # fmt: skip
        for payload in batch:
            choices = json.loads(payload).get("choices") or []
            if choices:
                return [str(value) for _, value in choices]
        return []

    def identities_delete(self, resident_id: int) -> list[tuple[str, str, str]]:
        rows = self._all(
            "DELETE FROM identities WHERE resident_id = ? RETURNING channel, user_key, chat_id",
            (resident_id,),
        )
        return [(r[0], r[1], r[2]) for r in rows]

    # -- sessions ----------------------------------------------------------------------------
    def session_add(self, session: DialogueSession, now: datetime) -> int:
        session.id = self._insert(
            "INSERT INTO sessions (commune_code, title, starts_at, place, chair, cutoff_at,"
            " created_at) VALUES (?, '', '', '', '', '', ?)",
            (session.commune_code, iso(now)),
        )
        self.session_update(session)
        return session.id

    def session_update(self, session: DialogueSession) -> None:
        self.conn.execute(
            "UPDATE sessions SET title = ?, starts_at = ?, place = ?, chair = ?, cutoff_at = ?,"
            " fields = ?, lead_days = ?, state = ?, revision = ?, conclusion = ?,"
            " concluded_at = ? WHERE id = ?",
            (
                session.title,
                iso(session.starts_at),
                session.place,
                session.chair,
                iso(session.cutoff_at),
                session.fields,
                session.lead_days,
                session.state.value,
                session.revision,
                session.conclusion,
                iso(session.concluded_at) if session.concluded_at else None,
                session.id,
            ),
        )

    def sessions_live(self) -> list[DialogueSession]:
        rows = self._all("SELECT * FROM sessions WHERE state != 'concluded' ORDER BY id")
        return [_session(r) for r in rows]

    def session_event_add(
        self, session_id: int, actor: str, what: str, detail: str, now: datetime
    ) -> None:
        self.conn.execute(
            "INSERT INTO session_events (session_id, actor, what, detail, at)"
            " VALUES (?, ?, ?, ?, ?)",
            (session_id, actor, what, detail, iso(now)),
        )

    def session_events(self, session_id: int) -> list[tuple[str, str, str, datetime]]:
        rows = self._all(
            "SELECT actor, what, detail, at FROM session_events WHERE session_id = ? ORDER BY id",
            (session_id,),
        )
        return [(r[0], r[1], r[2], parse_iso(r[3])) for r in rows]

    def session_jobs_done(self, session_id: int) -> dict[tuple[str, str], datetime]:
        rows = self._all(
            "SELECT kind, edition, fired_at FROM session_jobs WHERE session_id = ?", (session_id,)
        )
        return {(r[0], r[1]): parse_iso(r[2]) for r in rows}

    def session_job_claim(
        self, session_id: int, kind: str, edition: str, due_at: datetime, now: datetime,
        outcome: str,
    ) -> bool:  # fmt: skip
        row = self._one(
            "INSERT INTO session_jobs (session_id, kind, edition, due_at, fired_at, outcome)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (session_id, kind, edition) DO NOTHING"
            " RETURNING id",
            (session_id, kind, edition, iso(due_at), iso(now), outcome),
        )
        return row is not None

    def session_job_broadcast_id(self, session_id: int, kind: str, edition: str) -> int | None:
        row = self._one(
            "SELECT broadcast_id FROM session_jobs WHERE session_id = ? AND kind = ?"
            " AND edition = ?",
            (session_id, kind, edition),
        )
        return row[0] if row else None

    def session_job_broadcast(self, session_id: int, kind: str, edition: str, bid: int) -> None:
        self.conn.execute(
            "UPDATE session_jobs SET broadcast_id = ? WHERE session_id = ? AND kind = ?"
            " AND edition = ?",
            (bid, session_id, kind, edition),
        )

    def opinions_adopt(self, commune_code: int, session_id: int, states: Sequence[str]) -> int:
        marks = ", ".join("?" * len(states))
        cursor = self.conn.execute(
            f"UPDATE opinions SET session_id = ? WHERE commune_code = ? AND session_id IS NULL"
            f" AND state IN ({marks})",
            (session_id, commune_code, *states),
        )
        return cursor.rowcount

    # -- broadcasts --------------------------------------------------------------------------
    def broadcast_create(
        self,
        commune_code: int,
        session_id: int | None,
        kind: str,
        payload: dict[str, Any],
        created_by: str,
        now: datetime,
    ) -> tuple[int, int]:
        """One outbox row per registered, reachable resident (their most recent channel);
        returns the broadcast id and the number of recipients."""
        bid = self._insert(
            "INSERT INTO broadcasts (commune_code, session_id, kind, recipients, created_by,"
            " created_at) VALUES (?, ?, ?, 0, ?, ?)",
            (commune_code, session_id, kind, created_by, iso(now)),
        )
        stamp = iso(now)
        cursor = self.conn.execute(
            "INSERT OR IGNORE INTO outbox (channel, chat_id, payload, status, attempts,"
            " not_before, created_at, broadcast_id)"
            " SELECT i.channel, i.chat_id, ?, 'pending', 0, ?, ?, ? FROM residents r"
            " JOIN identities i ON i.resident_id = r.id"
            f" WHERE r.commune_code = ? AND r.erased_at IS NULL AND {_REACHED}"
            " ORDER BY r.id, i.rowid",
            (json.dumps(payload, ensure_ascii=False), stamp, stamp, bid, commune_code),
        )
        count = cursor.rowcount
        self.conn.execute("UPDATE broadcasts SET recipients = ? WHERE id = ?", (count, bid))
        return bid, count

    def broadcasts_progress(self, commune_code: int, limit: int = 10) -> list[BroadcastProgress]:
        rows = self._all(
            "SELECT b.id, b.session_id, b.kind, b.recipients, b.created_at,"
            " SUM(o.status = 'sent'), SUM(o.status IN ('pending', 'sending')),"
            " SUM(o.status = 'failed'), MAX(o.sent_at)"
            " FROM broadcasts b LEFT JOIN outbox o ON o.broadcast_id = b.id"
            " WHERE b.commune_code = ? GROUP BY b.id ORDER BY b.id DESC LIMIT ?",
            (commune_code, limit),
        )
        return [
            BroadcastProgress(
                id=r[0], session_id=r[1], kind=r[2], recipients=r[3],
                created_at=parse_iso(r[4]), sent=r[5] or 0, waiting=r[6] or 0,
                failed=r[7] or 0, last_sent_at=_dt(r[8]),
            )
            for r in rows
        ]  # fmt: skip

    def broadcast_waiting(self, broadcast_id: int) -> int:
        row = self._one(
            "SELECT COUNT(*) FROM outbox WHERE broadcast_id = ?"
            " AND status IN ('pending', 'sending')",
            (broadcast_id,),
        )
        return int(row[0]) if row else 0

    def residents_count(self, commune_code: int) -> int:
        row = self._one(
            "SELECT COUNT(*) FROM residents WHERE commune_code = ? AND erased_at IS NULL",
            (commune_code,),
        )
        return int(row[0]) if row else 0

    def identity_reactivate(self, channel: str, user_key: str) -> None:
        self.conn.execute(
            "UPDATE identities SET inactive_at = NULL WHERE channel = ? AND user_key = ?"
            " AND inactive_at IS NOT NULL",
            (channel, user_key),
        )

    # -- speaking registration ---------------------------------------------------------------
    def speaker_add(self, session_id: int, resident_id: int, opinion_id: int, now: datetime) -> int:
        """Register; returns the speaker's place in the order (1-based). Raises DuplicateKey
        when the resident already has a turn at this session."""
        try:
            self.conn.execute(
                "INSERT INTO speakers (session_id, resident_id, opinion_id, registered_at)"
                " VALUES (?, ?, ?, ?)",
                (session_id, resident_id, opinion_id, iso(now)),
            )
        except sqlite3.IntegrityError as err:
            raise DuplicateKey("speaker") from err
        row = self._one("SELECT COUNT(*) FROM speakers WHERE session_id = ?", (session_id,))
        return int(row[0]) if row else 1

    def speaker_of(self, session_id: int, resident_id: int) -> tuple[int, str] | None:
        """(place in the order, reference code) of a resident's turn, if registered."""
        row = self._one(
            "SELECT (SELECT COUNT(*) FROM speakers s2 WHERE s2.session_id = s.session_id"
            " AND s2.id <= s.id), o.ref_code FROM speakers s JOIN opinions o ON o.id = s.opinion_id"
            " WHERE s.session_id = ? AND s.resident_id = ?",
            (session_id, resident_id),
        )
        return (int(row[0]), row[1]) if row else None

    def speakers_list(self, session_id: int) -> list[Speaker]:
        rows = self._all(
            "SELECT r.full_name, r.village_name, r.organisation, o.ref_code, o.topic, o.text,"
            " s.registered_at FROM speakers s JOIN residents r ON r.id = s.resident_id"
            " JOIN opinions o ON o.id = s.opinion_id WHERE s.session_id = ? ORDER BY s.id",
            (session_id,),
        )
        return [Speaker(r[0], r[1], r[2], r[3], r[4], r[5], parse_iso(r[6])) for r in rows]

    def session_get(self, session_id: int) -> DialogueSession | None:
        row = self._one("SELECT * FROM sessions WHERE id = ?", (session_id,))
        return _session(row) if row else None

    def session_open(self, commune_code: int, now: datetime) -> DialogueSession | None:
        row = self._one(
            "SELECT * FROM sessions WHERE commune_code = ? AND cutoff_at > ?"
            " ORDER BY cutoff_at, id LIMIT 1",
            (commune_code, iso(now)),
        )
        return _session(row) if row else None

    def session_upcoming(self, commune_code: int, now: datetime) -> DialogueSession | None:
        row = self._one(
            "SELECT * FROM sessions WHERE commune_code = ? AND starts_at > ?"
            " ORDER BY starts_at, id LIMIT 1",
            (commune_code, iso(now)),
        )
        return _session(row) if row else None

    def sessions_list(self, commune_code: int | None = None) -> list[DialogueSession]:
        if commune_code is None:
            rows = self._all("SELECT * FROM sessions ORDER BY starts_at")
        else:
            rows = self._all(
                "SELECT * FROM sessions WHERE commune_code = ? ORDER BY starts_at",
                (commune_code,),
            )
        return [_session(r) for r in rows]

    # -- opinions ----------------------------------------------------------------------------
    def opinion_add(self, opinion: Opinion, source_event: str | None) -> int:
        try:
            return self._insert(
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
        except sqlite3.IntegrityError as err:
            if "ref_code" in str(err):
                raise DuplicateKey(opinion.ref_code) from err
            raise

    def opinion_get(self, opinion_id: int) -> Opinion | None:
        row = self._one("SELECT * FROM opinions WHERE id = ?", (opinion_id,))
        return _opinion(row) if row else None

    def opinion_history(self, opinion_id: int) -> list[OpinionEvent]:
        rows = self._all(
            "SELECT * FROM opinion_events WHERE opinion_id = ? ORDER BY id", (opinion_id,)
        )
        return [
            OpinionEvent(r["opinion_id"], OpinionState(r["from_state"]) if r["from_state"]
                         else None, OpinionState(r["to_state"]), r["actor"], r["reason"],
                         parse_iso(r["at"]), json.loads(r["detail"]), r["id"])
            for r in rows
        ]  # fmt: skip

    def opinions_queue(
        self, commune_code: int, states: Sequence[str], topic: str | None, limit: int, offset: int
    ) -> list[Opinion]:
        marks = ",".join("?" * len(states))
        topic_sql = " AND topic = ?" if topic else ""
        params: list[Any] = [commune_code, *states] + ([topic] if topic else []) + [limit, offset]
        rows = self._all(
            f"SELECT * FROM opinions WHERE commune_code = ? AND state IN ({marks}){topic_sql}"
            " ORDER BY id LIMIT ? OFFSET ?",
            params,
        )
        return [_opinion(r) for r in rows]

    def opinion_counts(
        self, commune_code: int, session_id: int | None
    ) -> list[tuple[str, str, int]]:
        where = "session_id = ?" if session_id is not None else "session_id IS NULL"
        rows = self._all(
            f"SELECT state, COALESCE(topic, 'khac'), COUNT(*) FROM opinions WHERE commune_code = ?"
            f" AND {where} GROUP BY 1, 2",
            [commune_code] + ([session_id] if session_id is not None else []),
        )
        return [(r[0], r[1], r[2]) for r in rows]

    def opinion_by_code(self, ref_code: str) -> Opinion | None:
        row = self._one("SELECT * FROM opinions WHERE ref_code = ?", (ref_code,))
        return _opinion(row) if row else None

    def opinions_of_resident(self, resident_id: int, limit: int) -> list[Opinion]:
        rows = self._all(
            "SELECT * FROM opinions WHERE resident_id = ? ORDER BY id DESC LIMIT ?",
            (resident_id, limit),
        )
        return [_opinion(r) for r in rows]

    # -- card bursts: one resident's rapid opinions, carded together -------------------------
    def opinions_since(self, resident_id: int, since: datetime) -> int:
        row = self._one(
            "SELECT COUNT(*) FROM (SELECT 1 FROM opinions WHERE resident_id = ?"
            " AND created_at >= ? ORDER BY id DESC LIMIT 100)",
            (resident_id, iso(since)),
        )
        return int(row[0]) if row else 0

    def card_burst_open(self, resident_id: int, since: datetime) -> int | None:
        row = self._one(
            "SELECT id FROM card_bursts WHERE resident_id = ? AND carded_at IS NULL"
            " AND last_at >= ? ORDER BY id DESC LIMIT 1",
            (resident_id, iso(since)),
        )
        return int(row[0]) if row else None

    def card_burst_add(self, resident_id: int, commune_code: int, now: datetime) -> int:
        return self._insert(
            "INSERT INTO card_bursts (resident_id, commune_code, first_at, last_at)"
            " VALUES (?, ?, ?, ?)",
            (resident_id, commune_code, iso(now), iso(now)),
        )

    def card_burst_join(self, burst_id: int, opinion_id: int, now: datetime) -> None:
        self.conn.execute("UPDATE opinions SET card_burst = ? WHERE id = ?", (burst_id, opinion_id))
        self.conn.execute("UPDATE card_bursts SET last_at = ? WHERE id = ?", (iso(now), burst_id))

    def card_bursts_due(self, quiet_since: datetime) -> list[tuple[int, int]]:
        """Open bursts with no new opinion since `quiet_since`: (burst id, resident id)."""
        rows = self._all(
            "SELECT id, resident_id FROM card_bursts WHERE carded_at IS NULL AND last_at < ?"
            " ORDER BY id",
            (iso(quiet_since),),
        )
        return [(int(r[0]), int(r[1])) for r in rows]

    def card_burst_opinions(self, burst_id: int) -> list[Opinion]:
        rows = self._all("SELECT * FROM opinions WHERE card_burst = ? ORDER BY id", (burst_id,))
        return [_opinion(r) for r in rows]

    def card_burst_done(self, burst_id: int, now: datetime) -> None:
        self.conn.execute("UPDATE card_bursts SET carded_at = ? WHERE id = ?", (iso(now), burst_id))

    def has_answered_opinion(self, resident_id: int) -> bool:
        return self._one(
            "SELECT 1 FROM opinions WHERE resident_id = ? AND state IN ('delivered', 'closed')"
            " LIMIT 1",
            (resident_id,),
        ) is not None

    def opinion_count_of_resident(self, resident_id: int) -> int:
        row = self._one("SELECT COUNT(*) FROM opinions WHERE resident_id = ?", (resident_id,))
        return int(row[0]) if row else 0

    def opinion_update(self, opinion: Opinion) -> None:
        self.conn.execute(
            "UPDATE opinions SET session_id = ?, text = ?, photo_ref = ?, state = ?, topic = ?,"
            " kind = ?, confidence = ?, reasons = ?, updated_at = ?, version = ?,"
            " department = ?, merged_into = ?, due_on = ? WHERE id = ?",
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
                opinion.version,
                opinion.department,
                opinion.merged_into,
                opinion.due_on.isoformat() if opinion.due_on else None,
                opinion.id,
            ),
        )

    def opinion_event_add(
        self,
        opinion_id: int,
        from_state: OpinionState | None,
        to_state: OpinionState,
        actor: str,
        reason: str,
        now: datetime,
    ) -> None:
        self.conn.execute(
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

    def opinion_events_add(self, events: Sequence[OpinionEvent]) -> None:
        self.conn.executemany(
            "INSERT INTO opinion_events (opinion_id, from_state, to_state, actor, reason, at,"
            " detail) VALUES (?, ?, ?, ?, ?, ?, ?)",
            [
                (e.opinion_id, e.from_state.value if e.from_state else None, e.to_state.value,
                 e.actor, e.reason, iso(e.at), json.dumps(e.detail, ensure_ascii=False))
                for e in events
            ],
        )  # fmt: skip

    def opinion_texts(
        self, commune_code: int, session_id: int | None, exclude_id: int
    ) -> list[tuple[str, str]]:
        live = ("pending_review", "approved", "assigned", "answered", "delivered", "closed")
        marks = ",".join("?" * len(live))
        if session_id is None:
            where, params = "commune_code = ? AND session_id IS NULL", [commune_code]
        else:
            where, params = "session_id = ?", [session_id]
        rows = self._all(
            f"SELECT ref_code, text FROM opinions WHERE {where} AND id != ?"
            f" AND state IN ({marks}) ORDER BY id",
            [*params, exclude_id, *live],
        )
        return [(r[0], r[1]) for r in rows]

    def feedback_add(
        self, opinion_id: int, text: str, topic: str, kind: str, officer: str, now: datetime
    ) -> None:
        self.conn.execute(
            "INSERT INTO nlp_feedback (opinion_id, text, topic, kind, officer, at)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (opinion_id, text, topic, kind, officer, iso(now)),
        )

    def feedback_all(self) -> list[tuple[str, str, str]]:
        rows = self._all("SELECT text, topic, kind FROM nlp_feedback ORDER BY id")
        return [(r[0], r[1], r[2]) for r in rows]

    def opinion_revision_add(self, opinion_id: int, old_text: str, now: datetime) -> None:
        self.conn.execute(
            "INSERT INTO opinion_revisions (opinion_id, old_text, at) VALUES (?, ?, ?)",
            (opinion_id, old_text, iso(now)),
        )

    # -- outbox ------------------------------------------------------------------------------
    def card_copy_add(self, outbox_id: int, opinion_id: int, channel: str, chat_id: str,
                      payload: dict[str, Any]) -> None:  # fmt: skip
        self.conn.execute(
            "INSERT INTO card_copies (outbox_id, opinion_id, channel, chat_id, payload)"
            " VALUES (?, ?, ?, ?, ?)",
            (outbox_id, opinion_id, channel, chat_id, json.dumps(payload, ensure_ascii=False)),
        )

    def card_copies(self, opinion_id: int) -> list[CardCopy]:
        rows = self._all(
            "SELECT c.outbox_id, c.opinion_id, c.channel, c.chat_id, c.payload, c.retired,"
            " o.status = 'pending' FROM card_copies c JOIN outbox o ON o.id = c.outbox_id"
            " WHERE c.opinion_id = ? ORDER BY c.outbox_id",
            (opinion_id,),
        )
        return [CardCopy(r[0], r[1], r[2], r[3], json.loads(r[4]), bool(r[5]), bool(r[6]))
                for r in rows]  # fmt: skip

    def card_copy_update(self, outbox_id: int, payload: dict[str, Any], retired: bool) -> None:
        self.conn.execute(
            "UPDATE card_copies SET payload = ?, retired = ? WHERE outbox_id = ?",
            (json.dumps(payload, ensure_ascii=False), int(retired), outbox_id),
        )

    def outbox_replace_pending(self, message_id: int, payload: dict[str, Any]) -> bool:
        """Change what a message will say, if no one has started sending it."""
        cur = self.conn.execute(
            "UPDATE outbox SET payload = ? WHERE id = ? AND status = 'pending'",
            (json.dumps(payload, ensure_ascii=False), message_id),
        )
        return cur.rowcount == 1

    def outbox_add(
        self,
        channel: str,
        chat_id: str,
        payload: dict[str, Any],
        now: datetime,
        source_event: str | None = None,
        lease_until: datetime | None = None,
        lease_owner: str | None = None,
    ) -> int:
        # A message created with a lease is owned by its creator, who sends it at once;
        # if that process dies, the lease expires (or is released when the worker is known
        # dead) and the outbox loop sends it instead.
        status = "sending" if lease_until else "pending"
        return self._insert(
            "INSERT INTO outbox (channel, chat_id, payload, status, attempts, not_before,"
            " lease_until, created_at, source_event, lease_owner)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                lease_owner if lease_until else None,
            ),
        )

    # -- erasure -----------------------------------------------------------------------------
    def resident_texts(self, resident_id: int) -> list[str]:
        rows = self._all(
            "SELECT text FROM opinions WHERE resident_id = ?"
            " UNION ALL SELECT r.old_text FROM opinion_revisions r"
            " JOIN opinions o ON o.id = r.opinion_id WHERE o.resident_id = ?"
            " UNION ALL SELECT comment FROM satisfaction WHERE resident_id = ?",
            (resident_id, resident_id, resident_id),
        )
        return [row[0] for row in rows if row[0]]

    # Columns that may quote a resident's words (cards, answers, raw updates, feedback).
    _QUOTING = (
        ("opinions", "text"),
        ("opinion_revisions", "old_text"),
        ("satisfaction", "comment"),
        ("outbox", "payload"),
        ("card_copies", "payload"),
        ("inbox", "payload"),
        ("answers", "text"),
        ("nlp_feedback", "text"),
    )

    def redact_texts(self, resident_id: int, markers: Sequence[tuple[str, str]]) -> None:
        for value, label in markers:
            if len(value.strip()) < 3:
                continue
            for table, column in self._QUOTING:
                for variant in {value, json.dumps(value, ensure_ascii=False)[1:-1]}:
                    self.conn.execute(
                        f"UPDATE {table} SET {column} = replace({column}, ?, ?)"
                        f" WHERE instr({column}, ?) > 0",
                        (variant, label, variant),
                    )

    def redact_channel_data(self, channel: str, user_key: str, chat_id: str) -> None:
        """Remove what the channel told us about a person (names, usernames in raw updates)."""
        self.conn.execute(
            "UPDATE inbox SET payload = '{\"redacted\": true}', user_key = NULL"
            " WHERE channel = ? AND user_key = ?",
            (channel, user_key),
        )
        self.conn.execute(
            "UPDATE outbox SET status = CASE WHEN status IN ('pending', 'sending')"
            " THEN 'cancelled' ELSE status END, payload = '{\"redacted\": true}', chat_id = ''"
            " WHERE channel = ? AND chat_id = ?",
            (channel, chat_id),
        )
        self.conversation_delete(channel, user_key)
