"""Kill the bot (SIGKILL) in the middle of a burst and start it again: nothing acknowledged
is lost, nothing is stored twice."""

from __future__ import annotations

import asyncio
import signal
import sqlite3
import sys
from pathlib import Path

from bot.clock import SystemClock
from bot.outbox import OutboxSender
from handlers.telegram.channel import MAX_CONCURRENT_UPDATES
from storage.sqlite import SqliteStore
from tests.fakes.telegram_server import FakeTelegram
from tests.harness import COMMUNE, SESSION_CUTOFF, SESSION_START, bot_process_env
from tests.seeding import register_residents

RESIDENTS = 100
PER_RESIDENT = 4


async def start(db: Path, tg: FakeTelegram) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "run", cwd=db.parent,
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
    users = await register_residents(
        store, SystemClock(), RESIDENTS, COMMUNE, SESSION_START, SESSION_CUTOFF
    )
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
