"""Wiring in one place: settings in, a running bot out."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sys
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol, TextIO

from bot.clock import Clock, SystemClock
from bot.config import Settings
from bot.conversation import Conversation
from bot.flood import FloodGuard
from bot.outbox import Limits, OutboxSender
from bot.schedule import Scheduler
from nlp.model import Example
from nlp.screening import Classifier, Screener
from storage.sqlite import SqliteStore

log = logging.getLogger(__name__)


@dataclass
class Runtime:
    settings: Settings
    store: SqliteStore
    clock: Clock
    conversation: Conversation
    sender: OutboxSender


async def load_screener(settings: Settings, store: SqliteStore) -> Screener:
    """The trained screener, with officers' corrections folded in. Built from the corpus the
    first time (about a second, off the event loop), then loaded from MODEL_DIR."""
    rows = await store.run(lambda tx: tx.feedback_all())
    feedback = [Example(text, topic, kind) for text, topic, kind in rows]
    return await asyncio.to_thread(Classifier.from_folder, settings.model_dir, feedback)


@contextlib.asynccontextmanager
async def open_store(settings: Settings) -> AsyncIterator[SqliteStore]:
    """Just the database, for office commands that need no conversation and no model."""
    store = SqliteStore(settings.database)
    await store.open()
    try:
        yield store
    finally:
        await store.close()


@contextlib.asynccontextmanager
async def runtime(
    settings: Settings, clock: Clock | None = None, screener: Screener | None = None
) -> AsyncIterator[Runtime]:
    clock = clock or SystemClock()
    store = SqliteStore(settings.database)
    await store.open()
    try:
        screener = screener or await load_screener(settings, store)
        flood = FloodGuard(settings.flood_limit, timedelta(seconds=settings.flood_window))
        lease = timedelta(seconds=settings.outbox_lease)
        conversation = Conversation(store, clock, screener, flood, lease)
        limits = {
            "telegram": Limits(settings.send_rate, settings.chat_send_rate),
            "zalo": Limits(settings.zalo_send_rate, settings.zalo_chat_send_rate),
        }
        sender = OutboxSender(store, clock, {}, lease=lease, rate=settings.send_rate,
                              chat_rate=settings.chat_send_rate, limits=limits)  # fmt: skip
        conversation.on_push = sender.wake
        yield Runtime(settings, store, clock, conversation, sender)
    finally:
        await store.close()


class Channel(Protocol):
    async def start(self) -> None: ...
    async def stop(self) -> None: ...


def channels(settings: Settings, rt: Runtime) -> list[Channel]:
    """The messengers configured: Telegram with its token, Zalo with its token, or both."""
    found: list[Channel] = []
    if settings.telegram_token:
        from handlers.telegram.channel import TelegramChannel

        found.append(TelegramChannel(settings, rt.store, rt.conversation, rt.sender, rt.clock))
    if settings.zalo_token:
        from handlers.zalo.channel import ZaloChannel

        found.append(ZaloChannel(settings, rt.store, rt.conversation, rt.sender, rt.clock))
    return found


async def run_channels(settings: Settings, clock: Clock | None = None) -> None:
    """Run the configured messengers, the outbox and the scheduler until SIGINT/SIGTERM."""
    async with runtime(settings, clock) as rt:
        running: list[Channel] = []
        try:
            for channel in channels(settings, rt):
                await channel.start()
                running.append(channel)
            outbox_task = asyncio.create_task(rt.sender.run(), name="outbox")
            scheduler = Scheduler(rt.store, rt.clock, rt.sender.wake, settings.schedule_every)
            scheduler.start()
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            print("Bot is running. Press Ctrl-C to stop.", file=sys.stderr, flush=True)
            try:
                await stop.wait()
            finally:
                scheduler.stop()
                outbox_task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await outbox_task
        finally:
            for channel in reversed(running):
                await channel.stop()


async def run_console(
    settings: Settings,
    user: str = "local",
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    clock: Clock | None = None,
) -> None:
    from handlers.console import chat

    async with runtime(settings, clock) as rt:
        await chat(rt.store, rt.conversation, rt.sender, rt.clock, user, stdin, stdout)
