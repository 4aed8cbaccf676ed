"""Broadcast throughput and exactly-once delivery across a SIGKILL.

    python bench/broadcast.py --recipients 20000 --limit 30 [--no-kill] [--time-scale 5]

A commune of N registered residents gets a session announcement: the bench plans the session
through the service layer (which queues one outbox row per resident), then runs the real bot
(`python -m doithoai run`) against the fake Bot API server, which enforces Telegram's limits
(`--limit` messages/s overall, 1/s per chat, 429 with retry_after beyond them) and fails a
share of calls with HTTP 500 (`--fail-share`). Midway (half the residents told) the bot is
killed with SIGKILL and started again. Deliveries and duplicates are counted on the server.

Time is scaled so the run takes minutes, not the 11 real minutes of 20,000 messages at 30/s:
with `--time-scale 5` the server allows 5 x limit messages per real second (and 5 per chat),
the bot is configured to send that fast, its lease is 1/5 of the default 30 s, and rates are
reported divided by the scale, in the units of the real limit. The run is measured from the
first delivery to the last, the kill and the restart included.

The last line printed is one JSON object (see the README).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import signal
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot import sessions  # noqa: E402
from bot.clock import SystemClock  # noqa: E402
from bot.model import DialogueSession  # noqa: E402
from bot.outbox import MAX_IN_FLIGHT  # noqa: E402
from storage.sqlite import SqliteStore  # noqa: E402
from tests.fakes.telegram_server import FakeTelegram, Limits  # noqa: E402
from tests.harness import bot_process_env  # noqa: E402
from tests.seeding import register_residents  # noqa: E402

COMMUNE = 14161


async def prepare(db: Path, n: int) -> int:
    """N residents, and an announcement queued for each of them; returns the rows queued."""
    store = SqliteStore(db)
    await store.open()
    clock = SystemClock()
    now = clock.now()
    later = now + timedelta(days=60)
    await register_residents(store, clock, n, COMMUNE, later, later - timedelta(days=2))
    soon = now + timedelta(days=5)  # inside the 7-day lead: announced as soon as planned
    session = DialogueSession(None, COMMUNE, "Hội nghị đối thoại cuối năm", soon,
                              "Hội trường UBND xã", "Chủ tịch UBND xã", soon - timedelta(days=2),
                              "Đất đai, môi trường")  # fmt: skip
    queued = await store.run(lambda tx: sessions.plan(tx, session, now, "bench"))
    await store.close()
    return queued


async def start_bot(db: Path, tg: FakeTelegram, scale: float, limit: float, workdir: Path):
    env = bot_process_env(
        db, tg,
        send_rate=str(int(limit * scale)),
        chat_send_rate=str(int(max(1, scale))),
        outbox_lease=str(max(1, round(30 / scale))),
        log_level="ERROR",
    )  # fmt: skip
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "doithoai", "run", env=env, cwd=workdir,
        stdin=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL,
    )  # fmt: skip


async def run(args: argparse.Namespace, workdir: Path) -> dict:
    n, scale, limit = args.recipients, args.time_scale, args.limit
    db = workdir / "bench.sqlite3"
    queued = await prepare(db, n)
    assert queued == n, (queued, n)
    limits = Limits(rate=limit * scale, chat_rate=scale, fail_share=args.fail_share,
                    latency=args.latency)  # fmt: skip
    tg = await FakeTelegram(limits=limits).start()

    def told() -> int:
        return len({m.chat_id for m in tg.sent})

    process = await start_bot(db, tg, scale, limit, workdir)
    killed_at: float | None = None
    started = time.monotonic()
    try:
        if not args.no_kill:
            while told() < n // 2:
                if process.returncode is not None or time.monotonic() - started > args.timeout:
                    raise SystemExit("the bot stopped or is too slow")
                await asyncio.sleep(0.01)
            process.send_signal(signal.SIGKILL)
            await process.wait()
            killed_at = time.monotonic()
            print(f"killed at {told()} residents told", file=sys.stderr)
            process = await start_bot(db, tg, scale, limit, workdir)
        while told() < n:
            if process.returncode is not None or time.monotonic() - started > args.timeout:
                break
            await asyncio.sleep(0.05)
        await asyncio.sleep(1.0)  # anything sent twice late would show now
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            await process.wait()
        await tg.stop()
    per_chat = collections.Counter(m.chat_id for m in tg.sent if m.method == "sendMessage")
    times = sorted(m.at for m in tg.sent)
    elapsed = (times[-1] - times[0]) if len(times) > 1 else 0.0
    delivered = len(per_chat)
    rate = delivered / elapsed / scale if elapsed else 0.0
    return {
        "recipients": n,
        "delivered": delivered,
        "duplicates": sum(per_chat.values()) - delivered,
        "max_in_flight": MAX_IN_FLIGHT,  # the sender's bound on sends not yet recorded
        "lost": n - delivered,
        "rate_per_s": round(rate, 2),
        "limit_per_s": limit,
        "utilisation": round(rate / limit, 3),
        "time_scale": scale,
        "elapsed_s": round(elapsed * scale, 1),
        "killed": killed_at is not None,
        "throttled_429": tg.throttled,
        "failed_500": tg.failed,
        "server_max_concurrent": tg.max_in_flight,
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--recipients", type=int, default=20_000)
    parser.add_argument("--limit", type=float, default=30.0, help="Telegram's messages/s")
    parser.add_argument("--time-scale", type=float, default=5.0,
                        help="run this many times faster than real time")  # fmt: skip
    parser.add_argument("--fail-share", type=float, default=0.01,
                        help="share of calls the server fails with HTTP 500")  # fmt: skip
    parser.add_argument("--latency", type=float, default=0.005, help="seconds per API call")
    parser.add_argument("--no-kill", action="store_true")
    parser.add_argument("--timeout", type=float, default=1800.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = await run(args, Path(tmp))
    print(
        f"{result['delivered']}/{result['recipients']} told in {result['elapsed_s']} s "
        f"(time scale {args.time_scale}: {result['elapsed_s'] / args.time_scale:.0f} real s), "
        f"{result['rate_per_s']}/s of {args.limit}/s, {result['duplicates']} duplicates",
        file=sys.stderr,
    )
    print(json.dumps(result))


if __name__ == "__main__":
    asyncio.run(main())
