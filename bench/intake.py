"""Intake throughput: N registered residents each send an opinion, through the fake Bot API
server into the real bot process (storage, screening, outbox), against a bare PTB echo bot
with PTB's default transport measured in the same run.

    python bench/intake.py [--updates 3000]

The last line printed is one JSON object (see the README). Latency is from the moment an
update is queued at the fake server to the moment the bot's answer reaches it; all updates
are queued at once, so it includes queueing behind the burst.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.clock import SystemClock  # noqa: E402
from storage.sqlite import SqliteStore  # noqa: E402
from tests.fakes.telegram_server import FakeTelegram  # noqa: E402
from tests.harness import bot_process_env  # noqa: E402
from tests.seeding import register_residents  # noqa: E402

COMMUNE = 14161


async def wait_ready(tg: FakeTelegram, process: asyncio.subprocess.Process) -> None:
    """Ready when the bot has started long polling."""
    deadline = time.monotonic() + 60
    while not any(method == "getUpdates" for method, _ in tg.calls):
        if process.returncode is not None or time.monotonic() > deadline:
            raise SystemExit("the bot did not start")
        await asyncio.sleep(0.05)


async def drive(tg: FakeTelegram, users: list[int], text: str, timeout: float) -> dict:
    """Queue one message per user; wait for one answer per user; measure."""
    tg.sent.clear()
    updates = [tg.text_update(u, f"{text} (cử tri {u})") for u in users]
    started = time.monotonic()
    ids = await tg.push(*updates)
    await tg.wait_for(lambda: len({m.chat_id for m in tg.sent}) >= len(users), timeout)
    elapsed = time.monotonic() - started
    first_answer: dict[int, float] = {}
    for m in tg.sent:
        first_answer.setdefault(m.chat_id, m.at)
    latencies = sorted(
        (first_answer[u] - tg.pushed_at[uid]) * 1000 for u, uid in zip(users, ids, strict=True)
    )
    return {
        "elapsed": elapsed,
        "updates_per_s": len(users) / elapsed,
        "p50_ms": statistics.median(latencies),
        "p99_ms": latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))],
        "answers": len(tg.sent),
    }


async def run_peer(n: int, transport: str = "httpx") -> float:
    tg = await FakeTelegram().start()
    process = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "bench" / "echo_peer.py"), "--token", tg.token,
        "--api", tg.base_url, "--transport", transport, stdin=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        await wait_ready(tg, process)
        users = list(range(900_000, 900_000 + n))
        result = await drive(tg, users, "Xin chào", timeout=600)
        return result["updates_per_s"]
    finally:
        process.send_signal(signal.SIGTERM)
        await process.wait()
        await tg.stop()


async def run_bot(n: int, workdir: Path) -> dict:
    db = workdir / "bench.sqlite3"
    store = SqliteStore(db)
    await store.open()
    now = SystemClock().now()
    users = await register_residents(
        store, SystemClock(), n, COMMUNE, now + timedelta(days=14), now + timedelta(days=12)
    )
    await store.close()
    tg = await FakeTelegram().start()
    env = bot_process_env(db, tg)
    profile = os.environ.get("BENCH_PROFILE")  # a path: write a cProfile of the bot there
    prefix = ["-m", "cProfile", "-o", profile] if profile else []
    process = await asyncio.create_subprocess_exec(
        sys.executable, *prefix, "-m", "doithoai", "run", env=env, cwd=workdir,
        stdin=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip
    try:
        await wait_ready(tg, process)
        result = await drive(
            tg, users, "Đề nghị xã sửa đoạn đường liên thôn bị sụt lún, mưa là ngập", 600
        )
    finally:
        process.send_signal(signal.SIGTERM)
        await process.wait()
        await tg.stop()
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT COUNT(*), COUNT(DISTINCT source_event) FROM opinions")
        opinions, distinct = stored.fetchone()
    codes = [m.visible.split("Mã ý kiến: ")[1].split()[0] for m in tg.sent if "Mã ý kiến" in m.text]
    result["lost"] = n - len(set(codes)) + (n - distinct)
    result["duplicates"] = (len(codes) - len(set(codes))) + (opinions - distinct)
    return result


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--updates", type=int, default=3000)
    parser.add_argument("--peer-updates", type=int, default=None,
                        help="updates for the peer (default: the same)")  # fmt: skip
    parser.add_argument("--also-aiohttp-echo", action="store_true",
                        help="also measure the bare echo bot on our aiohttp transport")  # fmt: skip
    args = parser.parse_args()
    if args.also_aiohttp_echo:
        fast = await run_peer(args.updates, "aiohttp")
        print(f"bare PTB echo on the aiohttp transport: {fast:.0f} updates/s", file=sys.stderr)
    with tempfile.TemporaryDirectory() as tmp:
        ours = await run_bot(args.updates, Path(tmp))
    peer = await run_peer(args.peer_updates or args.updates)
    print(
        f"bot: {ours['updates_per_s']:.0f} updates/s over {args.updates} updates "
        f"({ours['elapsed']:.2f} s); bare PTB echo (httpx): {peer:.0f} updates/s",
        file=sys.stderr,
    )
    print(json.dumps({
        "updates": args.updates,
        "updates_per_s": round(ours["updates_per_s"], 1),
        "p50_ms": round(ours["p50_ms"], 1),
        "p99_ms": round(ours["p99_ms"], 1),
        "lost": ours["lost"],
        "duplicates": ours["duplicates"],
        "peer_ptb_default_echo_updates_per_s": round(peer, 1),
        "ratio": round(ours["updates_per_s"] / peer, 2),
    }))  # fmt: skip


if __name__ == "__main__":
    asyncio.run(main())
