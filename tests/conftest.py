from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.clock import ManualClock
from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.zalo_server import FakeZalo
from tests.harness import START, RunningBot, add_commune_officers, make_settings, seed, start_bot


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    server = await FakeTelegram().start()
    yield server
    await server.stop()


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(START)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "doithoai.sqlite3"


@pytest.fixture
async def bot(tg: FakeTelegram, clock: ManualClock, db: Path) -> AsyncIterator[RunningBot]:
    running = await start_bot(make_settings(db, tg), tg, clock)
    await seed(running.rt)
    yield running
    await running.stop()


@pytest.fixture
async def zl() -> AsyncIterator[FakeZalo]:
    server = await FakeZalo().start()
    yield server
    await server.stop()


@pytest.fixture
async def both(
    tg: FakeTelegram, zl: FakeZalo, clock: ManualClock, db: Path
) -> AsyncIterator[RunningBot]:
    """The bot on Telegram and Zalo at once, over one database."""
    running = await start_bot(make_settings(db, tg, zl), tg, clock, zl)
    await seed(running.rt)
    yield running
    await running.stop()


@pytest.fixture
async def commune(bot: RunningBot) -> RunningBot:
    """The bot with the commune's Front officer, two departments and the office."""
    return await add_commune_officers(bot)
