"""Zalo intake: N residents registered on Zalo each send an opinion through the webhook into the
real bot process (`python -m doithoai run`, Zalo in webhook mode, against the fake Zalo server).

    python bench/zalo_intake.py [--updates 3000] [--concurrency 64]

Calls are posted `--concurrency` at a time, the way a webhook sender does. Measured: the
webhook's answer time (the update is stored before the 200), the time until the bot's answer
reaches the fake server, throughput, and opinions lost or duplicated (a second delivery of
every update is posted too: it must change nothing).

The last line printed is one JSON object (see the README).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import socket
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.clock import SystemClock  # noqa: E402
from storage.sqlite import SqliteStore  # noqa: E402
from tests.fakes.telegram_server import FakeTelegram  # noqa: E402
from tests.fakes.zalo_server import SECRET_HEADER, FakeZalo  # noqa: E402
from tests.harness import bot_process_env  # noqa: E402
from tests.seeding import register_residents  # noqa: E402

COMMUNE = 14161
SECRET = "bench-zalo-secret-0123456789"
TEXT = "Đề nghị xã sửa đoạn đường liên thôn bị sụt lún, mưa là ngập"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * share))]


async def wait_ready(url: str, process: asyncio.subprocess.Process) -> None:
    deadline = time.monotonic() + 60
    async with aiohttp.ClientSession() as session:
        while time.monotonic() < deadline and process.returncode is None:
            try:
                async with session.post(url, data=b"{}") as response:  # no secret: 403
                    if response.status == 403:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise SystemExit("the bot did not start")


async def post_all(url: str, bodies: list[bytes], concurrency: int) -> list[float]:
    """Post every body; returns each call's answer time in ms (all must be 200)."""
    slots = asyncio.Semaphore(concurrency)
    headers = {"Content-Type": "application/json", SECRET_HEADER: SECRET}
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector) as session:

        async def one(body: bytes) -> float:
            async with slots:
                started = time.monotonic()
                async with session.post(url, data=body, headers=headers) as response:
                    assert response.status == 200, response.status
                return (time.monotonic() - started) * 1000

        return await asyncio.gather(*(one(b) for b in bodies))


async def run(n: int, concurrency: int, workdir: Path) -> dict:
    db = workdir / "bench.sqlite3"
    store = SqliteStore(db)
    await store.open()
    now = SystemClock().now()
    users = await register_residents(
        store, SystemClock(), n, COMMUNE, now + timedelta(days=14), now + timedelta(days=12)
    )
    await store.run(lambda tx: tx.conn.execute(
        "UPDATE identities SET channel = 'zalo', user_key = 'z' || user_key,"
        " chat_id = 'z' || chat_id"))  # fmt: skip
    await store.close()
    tg, zl = await FakeTelegram().start(), await FakeZalo().start()
    port = free_port()
    env = bot_process_env(db, tg, zl, telegram_token="", zalo_mode="webhook",
                          zalo_webhook_url="https://bot.example.vn/zalo",
                          zalo_webhook_secret=SECRET, zalo_webhook_port=str(port))  # fmt: skip
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "doithoai", "run", env=env, cwd=workdir,
        stdin=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/zalo"
    try:
        await wait_ready(url, process)
        bodies = [json.dumps(zl.text_update(f"z{u}", f"{TEXT} (cử tri {u})"),
                             ensure_ascii=False).encode() for u in users]  # fmt: skip
        started = time.monotonic()
        acks = await post_all(url, bodies, concurrency)
        await post_all(url, bodies[: n // 10], concurrency)  # redeliveries: no effect
        answered: dict[str, float] = {}
        while len(answered) < n and time.monotonic() - started < 600:
            for m in zl.sent:
                answered.setdefault(m.chat_id, m.at)
            await asyncio.sleep(0.05)
        elapsed = max(answered.values()) - started
    finally:
        process.send_signal(signal.SIGTERM)
        await process.wait()
        await tg.stop()
        await zl.stop()
    with sqlite3.connect(db) as conn:
        opinions, distinct = conn.execute(
            "SELECT COUNT(*), COUNT(DISTINCT source_event) FROM opinions"
        ).fetchone()
    codes = [m.text.split("Mã ý kiến: ")[1].split()[0] for m in zl.sent if "Mã ý kiến" in m.text]
    return {
        "updates": n,
        "updates_per_s": round(n / elapsed, 1),
        "ack_p50_ms": round(statistics.median(acks), 1),
        "ack_p99_ms": round(percentile(acks, 0.99), 1),
        "answered_p50_s": round(statistics.median(answered.values()) - started, 2),
        "lost": n - len(set(codes)) + (n - distinct),
        "duplicates": (len(codes) - len(set(codes))) + (opinions - distinct),
        "concurrency": concurrency,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, default=64)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = await run(args.updates, args.concurrency, Path(tmp))
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
