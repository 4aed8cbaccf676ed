"""Starting the real bot against the fake Bot API, and a resident who talks to it."""

from __future__ import annotations

import asyncio
import contextlib
import os
from dataclasses import dataclass, replace
from datetime import datetime, time, timedelta
from pathlib import Path
from typing import Any

from bot import services, sessions, staff
from bot.clock import VN_TZ, ManualClock
from bot.config import Settings
from bot.model import DialogueSession, Role, StaffRole
from bot.ports import Tx
from doithoai.app import Runtime, runtime
from handlers import operator
from handlers.telegram.channel import TelegramChannel
from handlers.zalo.channel import ZaloChannel
from tests.fakes.telegram_server import FakeTelegram, Sent
from tests.fakes.zalo_server import FakeZalo, ZaloSent

COMMUNE = 14161  # Xã Giao Minh
OTHER_COMMUNE = 14179  # Xã Giao Hưng, a neighbour: for multi-commune deployments
START = datetime(2026, 11, 23, 9, 0, tzinfo=VN_TZ)
SESSION_DAY = START.date() + timedelta(days=14)
SESSION_START = datetime.combine(SESSION_DAY, time(8, 0), tzinfo=VN_TZ)
SESSION_CUTOFF = datetime.combine(SESSION_DAY - timedelta(days=2), time(11, 0), tzinfo=VN_TZ)
WEBHOOK_SECRET = "test-secret-0123456789abcdef"
# One language model for the whole suite: built once from the corpus, then loaded.
MODEL_DIR = Path(__file__).resolve().parent / ".model"


def bot_env(
    db: Path, tg: FakeTelegram, zl: FakeZalo | None = None, **overrides: str
) -> dict[str, str]:
    """The bot's environment variables for talking to the fake servers (overrides by name)."""
    env = {
        "DOITHOAI_TELEGRAM_TOKEN": tg.token,
        "DOITHOAI_DATABASE": str(db),
        "DOITHOAI_TELEGRAM_API_URL": tg.base_url,
        "DOITHOAI_POLL_TIMEOUT": "1",
        "DOITHOAI_LOG_LEVEL": "WARNING",
        "DOITHOAI_MODEL_DIR": str(MODEL_DIR),
        "DOITHOAI_CHAT_SEND_RATE": "100",  # officers get many cards at once; paced in test_outbox
    }
    if zl is not None:
        env["DOITHOAI_ZALO_TOKEN"] = zl.token
        env["DOITHOAI_ZALO_API_URL"] = zl.base_url
        env["DOITHOAI_ZALO_CHAT_SEND_RATE"] = "100"
    env.update({f"DOITHOAI_{k.upper()}": v for k, v in overrides.items()})
    return env


def bot_process_env(
    db: Path, tg: FakeTelegram, zl: FakeZalo | None = None, **overrides: str
) -> dict[str, str]:
    """The environment of `python -m doithoai run` in a subprocess, from this checkout."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOITHOAI_")}
    env.update(bot_env(db, tg, zl, **overrides))
    env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1])
    return env


def make_settings(
    db: Path, tg: FakeTelegram, zl: FakeZalo | None = None, **overrides: str
) -> Settings:
    return Settings.parse(bot_env(db, tg, zl, **overrides))


async def seed(rt: Runtime, communes: tuple[int, ...] = (COMMUNE,)) -> None:
    now = rt.clock.now()

    def work(tx: Tx) -> None:
        for code in communes:
            services.add_commune(tx, code, ["Xóm 1", "Xóm 2", "Xóm 3"], now)
        services.plan_session(
            tx,
            DialogueSession(
                id=None,
                commune_code=COMMUNE,
                title="Hội nghị đối thoại với Nhân dân cuối năm 2026",
                starts_at=SESSION_START,
                place="Hội trường UBND xã <Giao Minh>",
                chair="Đồng chí Chủ tịch UBND xã",
                cutoff_at=SESSION_CUTOFF,
                fields="Đất đai & môi trường",
            ),
            now,
        )

    await rt.store.run(work)


@dataclass
class RunningBot:
    rt: Runtime
    channel: TelegramChannel
    tg: FakeTelegram
    clock: ManualClock
    _stack: contextlib.AsyncExitStack
    _outbox: asyncio.Task[None]
    zalo: ZaloChannel | None = None
    zl: FakeZalo | None = None

    async def stop(self) -> None:
        self._outbox.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._outbox
        if self.zalo is not None:
            await self.zalo.stop()
        await self.channel.stop()
        await self._stack.aclose()

    async def settle(self, timeout: float = 10.0) -> None:
        """Wait until every stored update is handled and every reply is sent."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            # Read in the order the bot writes: confirmed to Telegram only once stored; marked
            # handled together with its replies; replies leave 'sending' once delivered.
            unconfirmed = [u for u in self.tg.updates if u["update_id"] >= self.tg.confirmed_below]
            webhook = bool(self.tg.webhook.get("url"))
            pending = await self.rt.store.inbox_unhandled("telegram")
            if self.zl is not None:
                pending += await self.rt.store.inbox_unhandled("zalo")
                unconfirmed += self.zl.updates
            counts = await self.rt.store.outbox_status_counts()
            busy = counts.get("pending", 0) + counts.get("sending", 0)
            if not pending and not busy and (webhook or not unconfirmed):
                return
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError(f"not settled: inbox {len(pending)}, outbox {counts}")
            await asyncio.sleep(0.02)

    async def settle_inbox(self, timeout: float = 10.0) -> None:
        """Wait until every update sent so far is stored and handled (replies may wait)."""
        deadline = asyncio.get_running_loop().time() + timeout
        while [u for u in self.tg.updates if u["update_id"] >= self.tg.confirmed_below] or (
            await self.rt.store.inbox_unhandled("telegram")
        ):
            if asyncio.get_running_loop().time() > deadline:
                raise AssertionError("updates not handled in time")
            await asyncio.sleep(0.02)

    async def fetch(self, sql: str, *params: Any) -> list[Any]:
        rows = await self.rt.store.run(lambda tx: tx.conn.execute(sql, params).fetchall())
        return [tuple(row) for row in rows]


async def start_bot(
    settings: Settings, tg: FakeTelegram, clock: ManualClock, zl: FakeZalo | None = None
) -> RunningBot:
    """The bot's runtime and channels, wired as `doithoai.app.run_channels` wires them (the
    outbox loop runs; the scheduler is driven by the tests through `run_due`)."""
    stack = contextlib.AsyncExitStack()
    rt = await stack.enter_async_context(runtime(settings, clock))
    names = ["telegram"] + (["zalo"] if zl is not None else [])
    routes = operator.routes(rt.store, rt.clock, names)
    channel = TelegramChannel(settings, rt.store, rt.conversation, rt.sender, rt.clock,
                              rt.supervisor, rt.health)  # fmt: skip
    channel.operator_routes = routes
    await channel.start()
    zalo = None
    if zl is not None:
        zalo = ZaloChannel(settings, rt.store, rt.conversation, rt.sender, rt.clock,
                           rt.supervisor, rt.health)  # fmt: skip
        zalo.operator_routes = routes
        await zalo.start()
    outbox = asyncio.create_task(rt.sender.run())
    return RunningBot(rt, channel, tg, clock, stack, outbox, zalo, zl)


async def run_due(bot: RunningBot) -> int:
    """What the scheduler does when it wakes: fire what is due, then deliver it."""
    now = bot.clock.now()
    queued = await bot.rt.store.run(lambda tx: sessions.run_due(tx, now))
    await bot.rt.sender.drain()
    return queued


class Person:
    """A resident with a Telegram account, talking to the bot through the fake server."""

    def __init__(
        self, tg: FakeTelegram, user_id: int, clock: ManualClock, webhook: bool = False
    ) -> None:
        self.tg = tg
        self.id = user_id
        self.clock = clock
        self.webhook = webhook

    @property
    def inbox(self) -> list[Sent]:
        return self.tg.sent_to(self.id)

    async def deliver(self, update: dict[str, Any]) -> int:
        self.clock.advance(seconds=3)  # people type at human speed (and below the flood limit)
        if self.webhook:
            status = await self.tg.post_webhook(update)
            assert status == 200, status
            return int(update.get("update_id", 0))
        (update_id,) = await self.tg.push(update)
        return update_id

    async def send_update(self, update: dict[str, Any], expect: int = 1) -> list[Sent]:
        before = len(self.inbox)
        await self.deliver(update)
        return (await self.tg.wait_sent(self.id, before + expect))[before:]

    async def send(self, text: str, expect: int = 1) -> list[Sent]:
        return await self.send_update(self.tg.text_update(self.id, text), expect)

    async def press(self, label: str, expect: int = 1) -> list[Sent]:
        """Press the button with this label (or callback data) on the latest message with it."""
        for message in reversed(self.inbox):
            for text, data in message.buttons:
                if label in (text, data):
                    update = self.tg.callback_update(self.id, data, message)
                    return await self.send_update(update, expect)
        raise AssertionError(f"no button {label!r} in {[m.buttons for m in self.inbox[-3:]]}")

    async def register(
        self,
        name: str = "Nguyễn Văn An",
        village: str = "Xóm 2",
        phone: str | None = "0912 345 678",
        organisation: str = "Hội Nông dân",
    ) -> list[Sent]:
        await self.send("/start", expect=2)
        await self.press("Tôi đồng ý")
        (asked,) = await self.send(name)
        if "xã/phường" in asked.visible:  # several communes served: pick Giao Minh
            await self.send("giao minh")
            await self.press(f"commune:{COMMUNE}")
        await self.press(village)
        if phone is None:
            await self.press("Bỏ qua")
        else:
            await self.send(phone)
        return await self.press(organisation, expect=2)


async def submit(bot: RunningBot, user: int, text: str, **reg: str) -> tuple[Person, str]:
    """A resident registers and sends one opinion; returns them and its reference code."""
    person = Person(bot.tg, user, bot.clock)
    await person.register(**reg)
    (ok,) = await person.send(text)
    await bot.settle()
    return person, ok.visible.split("Mã ý kiến: ")[1].split()[0]


# The commune's officers in the answers' tests: the Front, two departments, the office.
LAN, KINH_TE, DIA_CHINH, OFFICE = 900, 950, 951, 960


async def add_commune_officers(bot: RunningBot) -> RunningBot:
    await add_staff(bot, {
        LAN: StaffRole(Role.FRONT, COMMUNE),
        KINH_TE: StaffRole(Role.DEPARTMENT, COMMUNE, "kinh_te"),
        DIA_CHINH: StaffRole(Role.DEPARTMENT, COMMUNE, "dia_chinh"),
        OFFICE: StaffRole(Role.OFFICE, COMMUNE),
    })  # fmt: skip
    return bot


async def answers_reviewed(bot: RunningBot, commune: int = COMMUNE) -> None:
    """The commune's answers are approved by the Front or the office before they go out."""
    now = bot.clock.now()

    def review_on(tx: Tx) -> None:
        tx.commune_put(replace(tx.commune_get(commune), answer_review=True), now)

    await bot.rt.store.run(review_on)


def card_of(officer: Person, code: str) -> Sent:
    """The latest card an officer received about an opinion."""
    return [m for m in officer.inbox if m.visible.startswith(code)][-1]


async def add_staff(
    bot: RunningBot, roles: dict[int, StaffRole], names: dict[int, str] | None = None
) -> None:
    now = bot.clock.now()

    def work(tx: Tx) -> None:
        for user, role in roles.items():
            staff.add_officer(
                tx, "telegram", str(user), role, "test", now, (names or {}).get(user, "")
            )

    await bot.rt.store.run(work)


class ZaloPerson:
    """A resident with a Zalo account: types text, and numbers where there are no buttons."""

    def __init__(self, zl: FakeZalo, user: str, clock: ManualClock, webhook: bool = False) -> None:
        self.zl = zl
        self.id = user
        self.clock = clock
        self.webhook = webhook

    @property
    def inbox(self) -> list[ZaloSent]:
        return self.zl.sent_to(self.id)

    async def send_update(self, update: dict[str, Any], expect: int = 1) -> list[ZaloSent]:
        before = len(self.inbox)
        self.clock.advance(seconds=3)
        if self.webhook:
            assert await self.zl.post_webhook(update) == 200
        else:
            await self.zl.push(update)
        return (await self.zl.wait_sent(self.id, before + expect))[before:]

    async def send(self, text: str, expect: int = 1) -> list[ZaloSent]:
        return await self.send_update(self.zl.text_update(self.id, text), expect)

    async def choose(self, label: str, expect: int = 1) -> list[ZaloSent]:
        """Type the number of the choice with this label, from the latest list offered."""
        for message in reversed(self.inbox):
            for number, offered in enumerate(message.numbered, start=1):
                if label in offered:
                    return await self.send(str(number), expect)
        raise AssertionError(f"no choice {label!r} in {[m.text[-200:] for m in self.inbox[-2:]]}")

    async def register(
        self, name: str = "Lê Thị Hoa", village: str = "Xóm 1", phone: str | None = "0987 654 321"
    ) -> list[ZaloSent]:
        await self.send("/start", expect=2)
        await self.choose("Tôi đồng ý")
        await self.send(name)
        await self.choose(village)
        if phone is None:
            await self.choose("Bỏ qua")
        else:
            await self.send(phone)
        return await self.choose("Phụ nữ", expect=2)
