"""The `doithoai` command: run the bot, try it in the terminal, set up communes and sessions."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from datetime import datetime, time, timedelta

from bot import services
from bot.app import open_store, run_console, run_telegram
from bot.clock import VN_TZ, SystemClock, to_local
from bot.communes import official_communes, search
from bot.config import Settings
from bot.errors import ConfigError, DoiThoaiError
from bot.model import DialogueSession
from storage.repository import Tx

DEMO_COMMUNE = 14161  # Xã Giao Minh, Ninh Bình (plan 004 in shared/seeds)
DEMO_VILLAGES = [f"Xóm {n}" for n in range(1, 9)]


def _local_time(text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=VN_TZ)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{text!r}: expected 'YYYY-MM-DD HH:MM'") from err


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="doithoai",
        description="Đối thoại: opinions of residents for commune dialogue meetings.",
    )
    sub = parser.add_subparsers(dest="command")
    sub.add_parser("run", help="run the bot (Telegram with a token, else the terminal demo)")
    chat = sub.add_parser("chat", help="talk to the bot in this terminal as a resident")
    chat.add_argument("--user", default="local", help="who you are (several residents)")
    sub.add_parser("demo", help="add a demo commune (Giao Minh) with villages and a session")
    sub.add_parser("check", help="check the configuration and the database")

    commune = sub.add_parser("commune", help="communes this deployment serves").add_subparsers(
        dest="action", required=True
    )
    add = commune.add_parser("add", help="serve a commune (code from the official list)")
    add.add_argument("code", type=int)
    add.add_argument("--village", action="append", default=[], help="a village/group; repeat")
    add.add_argument(
        "--reception",
        help="where complaints and denunciations are received (told to residents), e.g."
        " 'Bộ phận tiếp công dân UBND xã, sáng thứ Năm hằng tuần'",
    )
    find = commune.add_parser("search", help="find a commune's code in the official list")
    find.add_argument("name")
    commune.add_parser("list", help="communes served, with their villages")

    session = sub.add_parser("session", help="dialogue sessions").add_subparsers(
        dest="action", required=True
    )
    create = session.add_parser("create", help="plan a dialogue session")
    create.add_argument("--commune", type=int, required=True)
    create.add_argument("--title", required=True)
    create.add_argument("--start", type=_local_time, required=True, help="'YYYY-MM-DD HH:MM'")
    create.add_argument("--cutoff", type=_local_time, required=True, help="'YYYY-MM-DD HH:MM'")
    create.add_argument("--place", required=True)
    create.add_argument("--chair", required=True)
    create.add_argument("--fields", default="")
    listing = session.add_parser("list", help="sessions, oldest first")
    listing.add_argument("--commune", type=int)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigError as err:
        print(f"doithoai: {err}", file=sys.stderr)
        return 2
    logging.basicConfig(
        level=settings.log_level,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    for noisy in ("httpx", "telegram.ext", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    try:
        return asyncio.run(_dispatch(args, settings))
    except DoiThoaiError as err:
        print(f"doithoai: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    command = args.command or "run"
    if command == "run":
        if settings.telegram_token:
            await run_telegram(settings)
            return 0
        print(
            "No DOITHOAI_TELEGRAM_TOKEN is set, so the bot runs here in the terminal.\n"
            "To run it on Telegram, create a bot with @BotFather and set the token"
            " (see README.md).\n",
            file=sys.stderr,
        )
        await _seed_demo_if_empty(settings)
        await run_console(settings)
        return 0
    if command == "chat":
        await _seed_demo_if_empty(settings)
        await run_console(settings, user=args.user)
        return 0
    if command == "demo":
        await _seed_demo(settings)
        return 0
    if command == "check":
        async with open_store(settings) as store:
            version = await store.schema_version()
            served = await store.run(lambda tx: tx.communes_list())
        mode = f"telegram ({settings.telegram_mode})" if settings.telegram_token else "terminal"
        print(
            f"configuration ok; database {settings.database} at schema version {version};"
            f" {len(served)} commune(s) served; mode: {mode}"
        )
        return 0
    if command == "commune":
        return await _commune(args, settings)
    if command == "session":
        return await _session(args, settings)
    raise AssertionError(command)


async def _commune(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "search":
        for c in search(args.name, list(official_communes().values()), limit=20):
            print(f"{c.code}\t{c.name}\t{c.province}")
        return 0

    def work(tx: Tx) -> list[str]:
        lines = []
        if args.action == "add":
            commune = services.add_commune(tx, args.code, args.village, now, args.reception)
            lines.append(f"serving {commune.name} ({commune.province}), code {commune.code}")
        for commune in tx.communes_list():
            names = ", ".join(v.name for v in tx.villages_list(commune.code))
            lines.append(f"{commune.code}\t{commune.name}\t{commune.province}\t"
                         f"{names or '(no villages configured)'}")  # fmt: skip
        return lines

    now = SystemClock().now()
    async with open_store(settings) as store:
        print("\n".join(await store.run(work)))
    return 0


async def _session(args: argparse.Namespace, settings: Settings) -> int:
    def work(tx: Tx) -> list[str]:
        if args.action == "create":
            session = services.plan_session(
                tx,
                DialogueSession(
                    id=None,
                    commune_code=args.commune,
                    title=args.title,
                    starts_at=args.start,
                    place=args.place,
                    chair=args.chair,
                    cutoff_at=args.cutoff,
                    fields=args.fields,
                ),
                now,
            )
            return [f"session {session.id} planned"]
        return [
            f"{s.id}\t{s.commune_code}\t{to_local(s.starts_at):%Y-%m-%d %H:%M}"
            f"\tcut-off {to_local(s.cutoff_at):%Y-%m-%d %H:%M}\t{s.title}"
            for s in tx.sessions_list(args.commune)
        ]

    now = SystemClock().now()
    async with open_store(settings) as store:
        print("\n".join(await store.run(work)))
    return 0


async def _seed_demo_if_empty(settings: Settings) -> None:
    async with open_store(settings) as store:
        if await store.run(lambda tx: tx.communes_list()):
            return
    print("The database has no commune yet: adding the demo commune (Xã Giao Minh).",
          file=sys.stderr)  # fmt: skip
    await _seed_demo(settings)


async def _seed_demo(settings: Settings) -> None:
    now = SystemClock().now()
    day = (to_local(now) + timedelta(days=14)).date()

    def work(tx: Tx) -> None:
        commune = services.add_commune(tx, DEMO_COMMUNE, DEMO_VILLAGES, now)
        if tx.session_open(commune.code, now) is None:
            services.plan_session(
                tx,
                DialogueSession(
                    id=None,
                    commune_code=commune.code,
                    title="Hội nghị đối thoại giữa người đứng đầu cấp ủy, chính quyền với Nhân dân",
                    starts_at=datetime.combine(day, time(8, 0), tzinfo=VN_TZ),
                    place="Hội trường Trụ sở Đảng ủy xã Giao Minh",
                    chair="Đồng chí Bí thư Đảng ủy, Chủ tịch HĐND xã; Đồng chí Phó Bí thư"
                    " Đảng ủy, Chủ tịch UBND xã",
                    cutoff_at=datetime.combine(day - timedelta(days=2), time(11, 0), tzinfo=VN_TZ),
                    fields="Đất đai, môi trường, giao thông, chính sách xã hội",
                ),
                now,
            )

    async with open_store(settings) as store:
        await store.run(work)
    print(f"demo commune Xã Giao Minh ready, with a session on {day:%d/%m/%Y}", file=sys.stderr)
