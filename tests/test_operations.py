"""Intake never dies and someone knows when it is sick: poison updates, malformed webhook
bodies, supervised tasks, health, metrics, the leases of a dead worker, one-line logs."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import socket
import sys
from datetime import timedelta
from pathlib import Path

import aiohttp
import pytest

from bot import logs
from bot.clock import ManualClock
from bot.ports import WorkerRecord
from bot.supervisor import FatalError, Supervisor
from bot.workers import _proc_start
from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.zalo_server import FakeZalo
from tests.harness import (
    WEBHOOK_SECRET,
    Person,
    RunningBot,
    bot_process_env,
    make_settings,
    seed,
    start_bot,
)

ROAD = "Đề nghị sửa đường liên thôn xóm 2 bị hỏng nặng"
# A poll as a newer Bot API might send it: PTB 22 requires fields this one lacks.
POISON = {"poll": {"id": "5", "question": "Họp lúc mấy giờ?"}}


async def test_a_poison_update_is_quarantined_and_intake_goes_on(
    tg: FakeTelegram, clock: ManualClock, db: Path
) -> None:
    bot = await start_bot(make_settings(db, tg), tg, clock)
    await seed(bot.rt)
    alice = Person(tg, 101, clock)
    try:
        await alice.register()
        (poison_id,) = await tg.push(POISON)
        (ok,) = await alice.send(ROAD)  # after the poison, in the next batch or the same
        assert "Mã ý kiến" in ok.visible
        await bot.settle()
        assert tg.confirmed_below > poison_id  # the offset moved past it
        rows = await bot.fetch(
            "SELECT event_key, quarantined IS NOT NULL, handled_at IS NOT NULL, payload"
            " FROM inbox WHERE event_key = ?", str(poison_id),
        )  # fmt: skip
        ((_, quarantined, handled, payload),) = rows
        assert quarantined and handled and json.loads(payload)["poll"]["id"] == "5"
        kept = await bot.rt.store.inbox_quarantined()
        assert [q.event_key for q in kept] == [str(poison_id)]
        assert "poll" in kept[0].payload and kept[0].reason
        # The same poison in one batch with two good updates: both good ones answered.
        bob = Person(tg, 102, clock)
        await bob.register(name="Trần Văn Bình")
        before = len(bob.inbox)
        await tg.push(POISON, tg.text_update(102, ROAD + " ngay"), tg.text_update(102, "/my"))
        await tg.wait_sent(102, before + 2)
    finally:
        await bot.stop()
    # After a restart nothing is replayed and intake still works.
    bot = await start_bot(make_settings(db, tg), tg, clock)
    try:
        (again,) = await alice.send("/my")
        assert "Ý kiến của Ông/Bà" in again.visible
        assert len(await bot.rt.store.inbox_quarantined()) == 2
    finally:
        await bot.stop()
    code, out = await _cli(["admin", "quarantine"], bot_process_env(db, tg))
    assert code == 0 and "2 quarantined update(s)" in out and "poll" in out


async def test_webhooks_answer_400_to_unreadable_bodies(
    tg: FakeTelegram, zl: FakeZalo, clock: ManualClock, db: Path
) -> None:
    settings = make_settings(
        db, tg, zl, telegram_mode="webhook", webhook_url="https://bot.example/telegram",
        webhook_secret=WEBHOOK_SECRET, webhook_port="0", zalo_mode="webhook",
        zalo_webhook_url="https://bot.example/zalo", zalo_webhook_secret=WEBHOOK_SECRET,
        zalo_webhook_port="0",
    )  # fmt: skip
    bot = await start_bot(settings, tg, clock, zl)
    await seed(bot.rt)
    assert bot.zalo is not None
    telegram = f"http://127.0.0.1:{bot.channel.webhook_port}/telegram"
    zalo = f"http://127.0.0.1:{bot.zalo.webhook_port}/zalo"
    bodies = [
        b"\xff\xfe{not utf-8",
        b'{"update_id": 900005, "message": "hello"}',
        b"[" * 100_000 + b"]" * 100_000,
        b'{"update_id": 900006, "message": {"chat": 1}}',
        b"",
        json.dumps({"update_id": 900007, **POISON}).encode(),
    ]
    try:
        async with aiohttp.ClientSession() as http:
            for url, header in ((telegram, "X-Telegram-Bot-Api-Secret-Token"),
                                (zalo, "X-Bot-Api-Secret-Token")):  # fmt: skip
                for body in bodies:
                    async with http.post(url, data=body, headers={header: WEBHOOK_SECRET}) as r:
                        assert r.status == 400, (url, body[:40], r.status)
            zalo_bad = {"event_name": "message.text.received", "message": {"from": "x"}}
            async with http.post(zalo, json=zalo_bad,
                                 headers={"X-Bot-Api-Secret-Token": WEBHOOK_SECRET}) as r:
                assert r.status in (200, 400)  # stored or refused, never a crash
        tg.webhook["url"] = telegram
        alice = Person(tg, 101, clock, webhook=True)
        await alice.register()  # the webhook still works for everyone else
        (ok,) = await alice.send(ROAD)
        assert "Mã ý kiến" in ok.visible
        await bot.settle()
        kept = {q.event_key for q in await bot.rt.store.inbox_quarantined()}
        assert "900007" in kept  # the poison update was kept aside, not lost
        await bot.rt.health.flush()
        async with aiohttp.ClientSession() as http:
            async with http.get(telegram.replace("/telegram", "/healthz")) as r:
                report = await r.json()
            assert report["quarantined_updates"] >= 2
            assert report["channels"]["telegram"]["last_ok"]  # the webhook calls count
            assert report["channels"]["telegram"]["inbox_unhandled"] == 0
            async with http.get(zalo.replace("/zalo", "/metrics")) as r:
                assert 'doithoai_updates_quarantined_total{channel="telegram"}' in await r.text()
    finally:
        await bot.stop()


async def test_the_supervisor_restarts_a_dying_task_then_gives_up() -> None:
    runs = []

    async def flaky() -> None:
        runs.append(1)
        if len(runs) < 3:
            raise RuntimeError("a bad moment")
        await asyncio.sleep(3600)

    sup = Supervisor(first_delay=0.01, max_delay=0.02)
    sup.spawn("flaky", flaky)
    for _ in range(100):
        if len(runs) >= 3:
            break
        await asyncio.sleep(0.02)
    assert len(runs) == 3 and sup.deaths["flaky"] == 2 and not sup.failed.done()

    async def broken() -> None:
        raise ValueError("always")

    sup.spawn("broken", broken)
    reason = await asyncio.wait_for(sup.failed, 5)
    assert "broken keeps dying" in str(reason)
    await sup.stop()

    async def fatal() -> None:
        raise FatalError("token rejected")

    sup = Supervisor()
    sup.spawn("fatal", fatal)
    assert "token rejected" in str(await asyncio.wait_for(sup.failed, 5))
    await sup.stop()


async def test_the_process_exits_non_zero_when_polling_cannot_go_on(
    tg: FakeTelegram, db: Path
) -> None:
    tg.get_updates_status = 401  # the token was revoked after start-up
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "doithoai", "run", cwd=db.parent, env=bot_process_env(db, tg),
        stdin=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE,
    )  # fmt: skip
    try:
        _, err = await asyncio.wait_for(process.communicate(), 90)
    finally:
        if process.returncode is None:
            process.kill()
    assert process.returncode == 1, err.decode()[-2000:]
    assert "rejected the bot token" in err.decode()


async def test_health_and_metrics_of_a_running_bot(tg: FakeTelegram, db: Path) -> None:
    port = _free_port()
    env = bot_process_env(db, tg, health_port=str(port), schedule_every="1")
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "doithoai", "run", cwd=db.parent, env=env,
        stdin=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        async with aiohttp.ClientSession() as http:
            report = await _healthy(http, port)
            assert report["channels"]["telegram"]["last_ok"] and report["workers"]
            assert report["scheduler"]["last_run"]
            await tg.push(tg.text_update(303, "/start"))
            await tg.wait_sent(303, 2, timeout=30)
            async with http.get(f"http://127.0.0.1:{port}/metrics") as r:
                text = await r.text()
            assert 'doithoai_updates_received_total{channel="telegram"}' in text
            assert 'doithoai_messages_sent_total{channel="telegram"}' in text
            assert "doithoai_outbox_depth" in text and "doithoai_send_seconds_bucket" in text
        code, out = await _cli(["health"], env)
        assert code == 0, out
        assert json.loads(out)["ok"] is True
    finally:
        process.terminate()
        await asyncio.wait_for(process.wait(), 30)
    code, out = await _cli(["health"], env)
    assert code == 1
    assert "no bot worker is running" in json.loads(out)["problems"]


async def _cli(args: list[str], env: dict[str, str]) -> tuple[int, str]:
    """`doithoai ARGS` in a process of its own: (exit code, standard output)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "doithoai", *args, env=env, stdout=asyncio.subprocess.PIPE,
        stdin=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    out, _ = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode is not None
    return process.returncode, out.decode()


async def _healthy(http: aiohttp.ClientSession, port: int) -> dict:
    for _ in range(300):
        try:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as r:
                report = await r.json()
                if r.status == 200:
                    return report
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    raise AssertionError("the bot never reported healthy")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


async def test_a_dead_workers_leases_are_released_at_once(bot: RunningBot) -> None:
    """A reply leased for 30 s to a worker whose process is gone goes out at the next
    heartbeat or start, not 30 s later; a live worker's lease is left alone."""
    gone = await asyncio.create_subprocess_exec(sys.executable, "-c", "pass")
    await gone.wait()
    dead_pid = gone.pid
    now = bot.clock.now()
    host = socket.gethostname()
    store = bot.rt.store
    await store.worker_start(WorkerRecord("old", host, dead_pid, "1", now, now, None))
    await store.worker_start(WorkerRecord("live", host, os.getpid(), _proc_start(os.getpid()),
                                          now, now, None))  # fmt: skip
    lease = now + timedelta(seconds=30)

    def leased(tx):
        for owner, text in (("old", "Trả lời còn treo"), ("live", "Đang gửi")):
            tx.outbox_add("telegram", "404", {"text": text, "choices": []}, now,
                          lease_until=lease, lease_owner=owner)  # fmt: skip

    await store.run(leased)
    assert await bot.rt.worker.reap() == 1  # what the heartbeat does (and a start)
    bot.rt.sender.wake()
    await bot.tg.wait_for(lambda: bool(bot.tg.sent_to(404)), timeout=5)
    assert [m.visible for m in bot.tg.sent_to(404)] == ["Trả lời còn treo"]
    assert {w.id for w in await store.workers_live()} >= {"live", bot.rt.worker.id}


async def test_log_lines_cannot_be_forged(
    bot: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    stranger = Person(bot.tg, 4242, bot.clock)
    with caplog.at_level(logging.WARNING):
        await stranger.send_update(bot.tg.callback_update(4242, "m:1:1:ok\nCRITICAL forged"))
    refused = [r for r in caplog.records if "refused" in r.getMessage()]
    assert refused and all("\n" not in r.getMessage() for r in refused)
    formatter = logs.OneLineFormatter("%(levelname)s %(message)s")
    record = logging.LogRecord("x", logging.INFO, "", 0, "said %s", ("a\nINFO b",), None)
    assert formatter.format(record) == "INFO said a\\nINFO b"
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    logs.setup("INFO")
    try:
        assert logging.getLogger("apscheduler").level == logging.WARNING
        assert isinstance(root.handlers[0].formatter, logs.OneLineFormatter)
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
