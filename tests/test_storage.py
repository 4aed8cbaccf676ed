"""The SQLite store: migrations, idempotent inbox, outbox leases, append-only history."""

from __future__ import annotations

import asyncio
import sqlite3
from datetime import timedelta
from pathlib import Path

import pytest

from bot.clock import ManualClock
from bot.errors import StorageError
from bot.model import OpinionState
from bot.ports import NewInbound
from storage.sqlite import SqliteStore, SqliteTx, _migrations
from tests.harness import START


@pytest.fixture
async def store(tmp_path: Path):
    s = SqliteStore(tmp_path / "db.sqlite3")
    await s.open()
    yield s
    await s.close()


async def test_migrations_apply_once_and_set_pragmas(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    for _ in range(2):
        s = SqliteStore(path)
        await s.open()
        assert await s.schema_version() == len(_migrations()) >= 3
        await s.close()
    with sqlite3.connect(path) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        applied = conn.execute("SELECT COUNT(*) FROM schema_migrations").fetchone()[0]
        assert applied == len(_migrations())


async def test_foreign_keys_are_enforced(store: SqliteStore) -> None:
    with pytest.raises(sqlite3.IntegrityError):
        await store.run(lambda tx: tx.village_add(99999, "Xóm ma"))


async def test_inbox_is_idempotent(store: SqliteStore) -> None:
    clock = ManualClock(START)
    ev = NewInbound("telegram", "1", "7", "{}")
    assert await store.inbox_store([ev, ev, NewInbound("telegram", "2", "7", "{}")],
                                   clock.now()) == [True, False, True]  # fmt: skip
    assert await store.inbox_store([ev], clock.now()) == [False]
    assert [e.event_key for e in await store.inbox_unhandled("telegram")] == ["1", "2"]
    assert await store.run(lambda tx: tx.inbox_claim("telegram", "1", clock.now())) is True
    assert await store.run(lambda tx: tx.inbox_claim("telegram", "1", clock.now())) is False
    assert [e.event_key for e in await store.inbox_unhandled("telegram")] == ["2"]
    with pytest.raises(StorageError, match="handled before it was stored"):
        await store.run(lambda tx: tx.inbox_claim("telegram", "3", clock.now()))


async def test_outbox_leases(store: SqliteStore) -> None:
    clock = ManualClock(START)
    now = clock.now()
    mine = await store.run(
        lambda tx: tx.outbox_add(
            "telegram", "1", {"text": "a"}, now, lease_until=now + timedelta(seconds=30)
        )
    )
    free = await store.run(lambda tx: tx.outbox_add("telegram", "2", {"text": "b"}, now))
    lease = now + timedelta(seconds=30)
    assert [m.id for m in await store.outbox_claim(now, lease, 10)] == [free]
    assert await store.outbox_claim(now, lease, 10) == []  # both leased now
    clock.advance(seconds=31)  # the owner of `mine` died: its lease runs out
    later = clock.now()
    claimed = await store.outbox_claim(later, later + timedelta(seconds=30), 10)
    assert [m.id for m in claimed] == [mine, free]
    assert claimed[0].attempts == 2
    await store.outbox_sent(mine, "55", later)
    await store.outbox_retry(free, "HTTP 500", later + timedelta(seconds=5))
    assert await store.outbox_claim(later, later, 10) == []
    clock.advance(seconds=6)
    assert [m.id for m in await store.outbox_claim(clock.now(), clock.now(), 10)] == [free]
    assert await store.outbox_status_counts() == {"sent": 1, "sending": 1}


async def test_history_is_append_only(store: SqliteStore) -> None:
    from tests.seeding import register_residents

    clock = ManualClock(START)
    await register_residents(store, clock, 1, 14161, START + timedelta(days=9),
                                       START + timedelta(days=7))  # fmt: skip

    def add(tx: SqliteTx) -> None:
        tx.conn.execute(
            "INSERT INTO opinions (ref_code, resident_id, commune_code, text, channel, state,"
            " created_at, updated_at) VALUES ('YK-AAAAAA', 1, 14161, 't', 'telegram',"
            " 'received', 'x', 'x')"
        )
        tx.opinion_event_add(1, None, OpinionState.RECEIVED, "test", "", clock.now())

    await store.run(add)
    for sql in ("UPDATE opinion_events SET actor = 'x'", "DELETE FROM opinion_events"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            await store.run(lambda tx, sql=sql: tx.conn.execute(sql))
    assert await store.run(lambda tx: tx.conn.execute("SELECT COUNT(*) FROM opinion_events")
                           .fetchone()[0]) == 1  # fmt: skip


async def test_group_commit_isolates_a_failing_unit(store: SqliteStore) -> None:
    now = ManualClock(START).now()

    def good(n: int):
        return lambda tx: tx.outbox_add("telegram", str(n), {"text": str(n)}, now)

    def bad(tx: SqliteTx) -> None:
        tx.outbox_add("telegram", "bad", {"text": "never"}, now)
        raise ValueError("this unit fails after writing")

    # Issued together, these share one transaction; the failing one must roll back alone.
    results = await asyncio.gather(
        *(store.run(good(n)) for n in range(5)), store.run(bad), store.run(good(5)),
        return_exceptions=True,
    )  # fmt: skip
    assert isinstance(results[5], ValueError)
    assert all(isinstance(r, int) for i, r in enumerate(results) if i != 5)
    chats = await store.run(lambda tx: [r[0] for r in tx.conn.execute(
        "SELECT chat_id FROM outbox ORDER BY id")])  # fmt: skip
    assert chats == ["0", "1", "2", "3", "4", "5"]
