"""One announcement to residents on Telegram, on Zalo and on both: once per chosen channel.

    python bench/channels.py --residents 6000 [--time-scale 5]

The commune's residents are 45 % on Telegram only, 45 % on Zalo only, 5 % linked on both and
wanting both, 5 % linked on both and wanting Zalo only. A session is planned inside the 7-day
lead, so the scheduler's job queues the announcement at once (its time is measured); then the
real outbox loop sends it through the Telegram and Zalo transports to the fake servers, with
each channel's own limits (Telegram 30/s overall, Zalo 10/s; 1/s per chat), time scaled as in
bench/broadcast.py. Counted on the servers: deliveries per channel, residents missed,
duplicates, and each channel's rate in units of its real limit (1.0 = at the limit).

The last line printed is one JSON object (see the README).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from telegram import Bot  # noqa: E402

from bot import sessions  # noqa: E402
from bot.clock import SystemClock  # noqa: E402
from bot.model import DialogueSession  # noqa: E402
from bot.outbox import Limits, OutboxSender  # noqa: E402
from bot.ports import Tx  # noqa: E402
from handlers.telegram.convert import TelegramTransport  # noqa: E402
from handlers.telegram.request import AiohttpRequest  # noqa: E402
from handlers.zalo.client import ZaloApi  # noqa: E402
from handlers.zalo.convert import ZaloTransport  # noqa: E402
from storage.sqlite import SqliteStore  # noqa: E402
from tests.fakes.telegram_server import FakeTelegram  # noqa: E402
from tests.fakes.telegram_server import Limits as ServerLimits  # noqa: E402
from tests.fakes.zalo_server import FakeZalo  # noqa: E402
from tests.seeding import register_residents  # noqa: E402

COMMUNE = 14161
TELEGRAM_RATE, ZALO_RATE = 30.0, 10.0


def spread(users: list[int]) -> dict[str, list[int]]:
    """Which residents are where: 9 in 20 Telegram, 9 in 20 Zalo, 1 both, 1 both-but-Zalo."""
    groups: dict[str, list[int]] = collections.defaultdict(list)
    for n, user in enumerate(users):
        kind = n % 20
        groups["telegram" if kind < 9 else "zalo" if kind < 18 else "both" if kind == 18
               else "both_zalo"].append(user)  # fmt: skip
    return groups


async def prepare(store: SqliteStore, n: int) -> tuple[dict[str, list[int]], float]:
    clock = SystemClock()
    now = clock.now()
    later = now + timedelta(days=60)
    users = await register_residents(store, clock, n, COMMUNE, later, later - timedelta(days=2))
    groups = spread(users)

    def channels(tx: Tx) -> None:
        for user in groups["zalo"]:
            tx.conn.execute("UPDATE identities SET channel = 'zalo', user_key = ?, chat_id = ?"
                            " WHERE user_key = ?", (f"z{user}", f"z{user}", str(user)))  # fmt: skip
        for group, chosen in (("both", ["telegram", "zalo"]), ("both_zalo", ["zalo"])):
            for user in groups[group]:
                (rid,) = tx.conn.execute(
                    "SELECT resident_id FROM identities WHERE user_key = ?", (str(user),)
                ).fetchone()
                tx.identity_add("zalo", f"z{user}", f"z{user}", rid, now, announce=False)
                tx.announce_set(rid, chosen)

    await store.run(channels)
    soon = now + timedelta(days=5)  # inside the 7-day lead: announced as soon as planned
    session = DialogueSession(None, COMMUNE, "Hội nghị đối thoại cuối năm", soon,
                              "Hội trường UBND xã", "Chủ tịch UBND xã", soon - timedelta(days=2),
                              "Đất đai, môi trường")  # fmt: skip
    started = time.perf_counter()  # planning inside the lead queues the announcement at once
    await store.run(lambda tx: sessions.plan(tx, session, now, "bench"))
    return groups, time.perf_counter() - started


def expected(groups: dict[str, list[int]]) -> tuple[set[str], set[str]]:
    telegram = {str(u) for g in ("telegram", "both") for u in groups[g]}
    zalo = {f"z{u}" for g in ("zalo", "both", "both_zalo") for u in groups[g]}
    return telegram, zalo


async def sent_all(store: SqliteStore) -> None:
    """Return once nothing is waiting or being sent."""
    for _ in range(100_000):
        if not (await store.outbox_status_counts()).keys() & {"pending", "sending"}:
            return
        await asyncio.sleep(0.2)


def rate(stamps: list[float], scale: float) -> float:
    span = max(stamps) - min(stamps) if len(stamps) > 1 else 0.0
    return round((len(stamps) - 1) / span / scale, 3) if span else 0.0


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--residents", type=int, default=6000)
    parser.add_argument("--time-scale", type=float, default=5.0)
    args = parser.parse_args()
    scale = args.time_scale
    tg = await FakeTelegram(limits=ServerLimits(rate=TELEGRAM_RATE * scale,
                                                chat_rate=scale)).start()  # fmt: skip
    zl = await FakeZalo().start()
    store = SqliteStore(Path(tempfile.mkdtemp()) / "bench.sqlite3")
    await store.open()
    bot = Bot(tg.token, base_url=f"{tg.base_url}/bot", request=AiohttpRequest(128))
    await bot.initialize()
    zalo = ZaloApi(zl.token, zl.base_url)
    try:
        groups, queue_s = await prepare(store, args.residents)
        counts = dict(await store.run(lambda tx: tx.conn.execute(
            "SELECT channel, COUNT(*) FROM outbox GROUP BY channel").fetchall()))  # fmt: skip
        sender = OutboxSender(store, SystemClock(), {"telegram": TelegramTransport(bot),
                                                     "zalo": ZaloTransport(zalo)},
                              limits={"telegram": Limits(TELEGRAM_RATE * scale, scale),
                                      "zalo": Limits(ZALO_RATE * scale, scale)})  # fmt: skip
        loop = asyncio.create_task(sender.run())
        started = time.perf_counter()
        await sent_all(store)
        wall = time.perf_counter() - started
        loop.cancel()
        want_tg, want_zl = expected(groups)
        got_tg = collections.Counter(str(m.chat_id) for m in tg.sent)
        got_zl = collections.Counter(m.chat_id for m in zl.sent)
        result = {
            "residents": args.residents,
            "queued": {"telegram": counts.get("telegram", 0), "zalo": counts.get("zalo", 0)},
            "expected": {"telegram": len(want_tg), "zalo": len(want_zl)},
            "queue_announcement_s": round(queue_s, 3),
            "missed": len(want_tg - set(got_tg)) + len(want_zl - set(got_zl)),
            "duplicates": sum(c - 1 for c in got_tg.values()) + sum(c - 1 for c in got_zl.values()),
            "unwanted": len(set(got_tg) - want_tg) + len(set(got_zl) - want_zl),
            "telegram_utilisation": rate([m.at for m in tg.sent], scale * TELEGRAM_RATE),
            "zalo_utilisation": rate([m.at for m in zl.sent], scale * ZALO_RATE),
            "telegram_done_s": round(max(m.at for m in tg.sent) - min(m.at for m in tg.sent), 1),
            "wall_s": round(wall, 1),
            "throttled_429": tg.throttled,
            "time_scale": scale,
        }
        print(json.dumps(result))
    finally:
        await zalo.close()
        await bot.shutdown()
        await store.close()
        await tg.stop()
        await zl.stop()


if __name__ == "__main__":
    asyncio.run(main())
