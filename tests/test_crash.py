"""Kill the bot (SIGKILL) in the middle of a burst and start it again: nothing acknowledged
is lost, nothing is stored twice."""

from __future__ import annotations

import asyncio
import collections
import signal
import sqlite3
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path

from bot import sessions
from bot.clock import SystemClock
from bot.model import DialogueSession
from bot.outbox import MAX_IN_FLIGHT, OutboxSender
from handlers.telegram.channel import MAX_CONCURRENT_UPDATES
from storage.sqlite import SqliteStore
from tests.fakes.telegram_server import FakeTelegram, Limits
from tests.fakes.zalo_server import FakeZalo
from tests.harness import COMMUNE, bot_process_env
from tests.seeding import register_residents

RESIDENTS = 100
PER_RESIDENT = 4


async def start(db: Path, tg: FakeTelegram) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "doithoai", "run", cwd=db.parent,
        env=bot_process_env(db, tg, flood_limit="1000", outbox_lease="2"),
        stdin=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


def confirmations(tg: FakeTelegram) -> list[str]:
    return [
        m.visible.split("Mã ý kiến: ")[1].split()[0]
        for m in tg.sent
        if m.method == "sendMessage" and "Mã ý kiến: " in m.visible
    ]


def query(db: Path, sql: str) -> list[tuple]:
    with sqlite3.connect(db, timeout=10) as conn:
        return conn.execute(sql).fetchall()


async def test_sigkill_mid_burst_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    db = tmp_path / "doithoai.sqlite3"
    store = SqliteStore(db)
    await store.open()
    now = SystemClock().now()  # the bot runs on the real clock: dates relative to it
    users = await register_residents(
        store, SystemClock(), RESIDENTS, COMMUNE, now + timedelta(days=14),
        now + timedelta(days=12),
    )  # fmt: skip
    await store.close()

    tg = await FakeTelegram().start()
    process = await start(db, tg)
    try:
        texts = {}
        updates = []
        for round_ in range(PER_RESIDENT):
            for user in users:
                text = f"Ý kiến {round_} của cử tri {user}: đề nghị sửa đường xóm {round_ + 1}"
                updates.append(tg.text_update(user, text))
        ids = await tg.push(*updates)
        texts = {uid: u["message"]["text"] for uid, u in zip(ids, updates, strict=True)}

        # Kill it mid-burst: some opinions answered, most not yet.
        await tg.wait_for(lambda: len(confirmations(tg)) >= 60, timeout=60)
        process.send_signal(signal.SIGKILL)
        await process.wait()
        killed_at = len(confirmations(tg))
        assert killed_at < len(updates), "the burst finished before the kill: nothing tested"

        process = await start(db, tg)
        await tg.wait_for(lambda: len(set(confirmations(tg))) >= len(updates), timeout=120)
        for _ in range(400):  # the last batch confirmed; leases of the killed sends expired
            unsent = query(db, "SELECT COUNT(*) FROM outbox WHERE status != 'sent'")
            if tg.confirmed_below > max(ids) and unsent == [(0,)]:
                break
            await asyncio.sleep(0.05)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)
        await tg.stop()

    stored = query(db, "SELECT source_event, text, ref_code FROM opinions")
    by_event = {source: (text, code) for source, text, code in stored}
    assert len(stored) == len(by_event) == len(updates)  # one opinion per update, no more
    acknowledged = [uid for uid in ids if uid < tg.confirmed_below]
    assert acknowledged == ids
    for uid in acknowledged:
        assert by_event[f"telegram:{uid}"][0] == texts[uid]
    codes = {code for _, code in by_event.values()}
    answered = confirmations(tg)
    assert set(answered) == codes  # every confirmed code is stored; every stored one confirmed
    duplicates = len(answered) - len(set(answered))
    # Replies in flight at the kill may go out twice (no idempotency key in the Bot API): at
    # most one per update being handled, plus the outbox loop's own sends.
    assert duplicates <= MAX_CONCURRENT_UPDATES + OutboxSender(store, SystemClock(), {}).concurrency
    leftovers = query(db, "SELECT COUNT(*) FROM outbox WHERE status != 'sent'")
    assert leftovers == [(0,)]


async def test_sigkill_mid_broadcast_tells_everyone_once(tmp_path: Path) -> None:
    """An announcement to every resident, the sender killed midway and started again:
    everyone is told; only sends in flight at the kill (at most MAX_IN_FLIGHT) may repeat."""
    db = tmp_path / "doithoai.sqlite3"
    store = SqliteStore(db)
    await store.open()
    clock = SystemClock()
    now = clock.now()
    count = 400
    users = await register_residents(store, clock, count, COMMUNE, now + timedelta(days=60),
                                     now + timedelta(days=58))  # fmt: skip
    soon = now + timedelta(days=3)  # inside the lead time: announced as soon as planned
    session = DialogueSession(None, COMMUNE, "Đối thoại cuối năm", soon, "Hội trường",
                              "Chủ tịch UBND xã", soon - timedelta(days=1))  # fmt: skip
    assert await store.run(lambda tx: sessions.plan(tx, session, now, "test")) == count
    await store.close()

    tg = await FakeTelegram(limits=Limits(rate=200, chat_rate=50, latency=0.003)).start()

    def told() -> collections.Counter[int]:
        return collections.Counter(m.chat_id for m in tg.sent if "THÔNG BÁO" in m.visible)

    def launch() -> Awaitable[asyncio.subprocess.Process]:
        env = bot_process_env(db, tg, outbox_lease="1", send_rate="200", chat_send_rate="50")
        return asyncio.create_subprocess_exec(sys.executable, "-m", "doithoai", "run",
                                              cwd=db.parent, env=env,
                                              stdin=asyncio.subprocess.DEVNULL)  # fmt: skip

    process = await launch()
    try:
        await tg.wait_for(lambda: len(told()) >= count // 4, timeout=60)
        process.send_signal(signal.SIGKILL)
        await process.wait()
        assert len(told()) < count, "the broadcast finished before the kill: nothing tested"
        process = await launch()
        await tg.wait_for(lambda: len(told()) >= count, timeout=60)
        await asyncio.sleep(1.5)  # a lease expiring now would show as a late duplicate
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)
        await tg.stop()
    deliveries = told()
    assert set(deliveries) == set(users)  # nobody left out
    assert sum(deliveries.values()) - count <= MAX_IN_FLIGHT  # repeats only from the kill
    assert query(db, "SELECT status, COUNT(*) FROM outbox GROUP BY status") == [("sent", count)]
    assert query(db, "SELECT kind, recipients FROM broadcasts") == [("announce", count)]


async def test_a_restart_does_not_wait_out_the_dead_workers_leases(tmp_path: Path) -> None:
    """Replies leased to a killed worker go out as soon as the next one starts, not when
    their (here two-minute) lease would have run out."""
    db = tmp_path / "doithoai.sqlite3"
    store = SqliteStore(db)
    await store.open()
    now = SystemClock().now()
    users = await register_residents(store, SystemClock(), 150, COMMUNE, now + timedelta(days=14),
                                     now + timedelta(days=12))  # fmt: skip
    await store.close()
    tg = await FakeTelegram(limits=Limits(rate=10_000, chat_rate=1000, latency=0.02)).start()

    def launch() -> Awaitable[asyncio.subprocess.Process]:
        env = bot_process_env(db, tg, flood_limit="1000", outbox_lease="120")
        return asyncio.create_subprocess_exec(sys.executable, "-m", "doithoai", "run",
                                              cwd=db.parent, env=env,
                                              stdin=asyncio.subprocess.DEVNULL)  # fmt: skip

    process = await launch()
    try:
        await tg.push(*(tg.text_update(u, f"Đề nghị sửa đường xóm {u % 7 + 1} trước Tết")
                        for u in users))  # fmt: skip
        await tg.wait_for(lambda: len(confirmations(tg)) >= 20, timeout=60)
        process.send_signal(signal.SIGKILL)
        await process.wait()
        stranded = query(db, "SELECT COUNT(*) FROM outbox WHERE status = 'sending'")[0][0]
        assert stranded > 0, "no reply was in flight at the kill: nothing tested"
        process = await launch()
        await tg.wait_for(lambda: len(set(confirmations(tg))) >= len(users), timeout=45)
        for _ in range(300):  # the stranded replies are sent again within seconds, not 120 s
            if query(db, "SELECT COUNT(*) FROM outbox WHERE status != 'sent'") == [(0,)]:
                break
            await asyncio.sleep(0.05)
        else:
            raise AssertionError("replies leased to the killed worker still wait")
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)
        await tg.stop()
    assert query(db, "SELECT COUNT(*) FROM workers WHERE stopped_at IS NULL") == [(0,)]


async def until(condition: Callable[[], bool], timeout: float) -> None:
    for _ in range(int(timeout * 10)):
        if condition():
            return
        await asyncio.sleep(0.1)
    raise AssertionError("the condition did not come true in time")


async def test_zalo_polling_killed_mid_stream_loses_at_most_the_update_in_flight(
    tmp_path: Path,
) -> None:
    """Zalo's getUpdates hands over one update and forgets it (no offset, no confirmation), so
    no client can close the instant between its answer and the insert. What the bot does
    guarantee: it asks for the next update only once the last is stored, so a kill loses at
    most the one in flight; everything stored is handled, once, also across the restart."""
    db = tmp_path / "doithoai.sqlite3"
    tg = await FakeTelegram().start()
    zl = await FakeZalo().start()
    users = [f"zu{n:04d}" for n in range(300)]
    for user in users:
        await zl.push(zl.text_update(user, "Đề nghị sửa đường liên thôn xóm 2"))

    def launch() -> Awaitable[asyncio.subprocess.Process]:
        env = bot_process_env(db, tg, zl, zalo_mode="polling", flood_limit="1000")
        env.pop("DOITHOAI_TELEGRAM_TOKEN")
        return asyncio.create_subprocess_exec(sys.executable, "-m", "doithoai", "run",
                                              cwd=db.parent, env=env,
                                              stdin=asyncio.subprocess.DEVNULL)  # fmt: skip

    def welcomed() -> collections.Counter[str]:
        return collections.Counter(m.chat_id for m in zl.sent if "Xin chào" in m.text)

    process = await launch()
    try:
        await until(lambda: len(zl.handed) >= 100, timeout=60)
        process.send_signal(signal.SIGKILL)
        await process.wait()
        assert zl.updates, "the stream ended before the kill: nothing tested"
        process = await launch()
        await until(lambda: not zl.updates, timeout=60)
        stored = lambda: query(db, "SELECT COUNT(*) FROM inbox WHERE handled_at IS NOT NULL")  # noqa: E731
        await until(lambda: stored()[0][0] >= len(users) - 1, timeout=60)
        await until(lambda: len(welcomed()) >= stored()[0][0], timeout=60)
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)
        await zl.stop()
        await tg.stop()
    messages = [u["result"]["message"] for u in zl.handed]
    handed = {f"m:{m['message_id']}" for m in messages}
    kept = {key for (key,) in query(db, "SELECT event_key FROM inbox WHERE channel = 'zalo'")}
    assert len(handed) == len(users) and kept <= handed
    assert len(handed - kept) <= 1  # the one in flight at the kill, if the kill hit that instant
    assert query(db, "SELECT COUNT(*) FROM inbox WHERE handled_at IS NULL") == [(0,)]
    assert set(welcomed()) == {m["chat"]["id"] for m in messages
                               if f"m:{m['message_id']}" in kept}  # fmt: skip
