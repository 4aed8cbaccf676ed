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
from typing import Any, Protocol, TextIO

from bot import metrics
from bot.clock import Clock, FastClock, OffsetClock, SystemClock
from bot.config import Settings
from bot.conversation import Conversation
from bot.flood import FloodGuard
from bot.health import Health
from bot.outbox import Limits, OutboxSender
from bot.schedule import Scheduler
from bot.supervisor import Supervisor
from bot.workers import Worker
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
    worker: Worker
    health: Health
    supervisor: Supervisor


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
    if clock is None:
        clock = OffsetClock(settings.clock_offset) if settings.clock_offset else SystemClock()
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
        worker = Worker(store, clock)
        await worker.start()  # frees at once what a dead predecessor held
        conversation.worker_id = sender.owner = worker.id
        health = Health(store, clock, worker.id)
        sender.on_sent = lambda: health.ok("outbox")
        sender.on_error = lambda error: health.error("outbox", error)
        supervisor = Supervisor(
            on_death=lambda name, err: metrics.TASK_DEATHS.labels(name).inc()
        )
        try:
            yield Runtime(settings, store, clock, conversation, sender, worker, health,
                          supervisor)  # fmt: skip
        finally:
            await supervisor.stop()
            await health.flush()
            await worker.stop()
    finally:
        await store.close()


class Channel(Protocol):
    name: str  # "telegram", "zalo"
    operator_routes: dict[str, Any]  # /healthz, /metrics served on its webhook server

    async def start(self) -> None: ...
    async def stop(self) -> None: ...


def channels(settings: Settings, rt: Runtime) -> list[Channel]:
    """The messengers configured: Telegram with its token, Zalo with its token, or both."""
    found: list[Channel] = []
    if settings.telegram_token:
        from handlers.telegram.channel import TelegramChannel

        found.append(TelegramChannel(settings, rt.store, rt.conversation, rt.sender, rt.clock,
                                     rt.supervisor, rt.health))  # fmt: skip
    if settings.zalo_token:
        from handlers.zalo.channel import ZaloChannel

        found.append(ZaloChannel(settings, rt.store, rt.conversation, rt.sender, rt.clock,
                                 rt.supervisor, rt.health))  # fmt: skip
    return found


async def run_channels(settings: Settings, clock: Clock | None = None) -> None:
    """Run the configured messengers, the outbox and the scheduler until SIGINT/SIGTERM.

    Every long-running task is supervised (restarted with backoff); if one keeps dying,
    `FatalError` is raised, and the process exits non-zero for systemd to restart it."""
    from handlers import operator
    from handlers.webhook import WebhookServer

    async with runtime(settings, clock) as rt:
        running: list[Channel] = []
        found = channels(settings, rt)
        routes = operator.routes(rt.store, rt.clock, [c.name for c in found])
        health_server: WebhookServer | None = None
        try:
            for channel in found:
                channel.operator_routes = routes
                await channel.start()
                running.append(channel)
            if settings.health_port is not None:
                health_server = WebhookServer(None, None, 1024, routes)
                await health_server.start(settings.webhook_listen, settings.health_port)
            sup = rt.supervisor
            sup.spawn("outbox", rt.sender.run)
            scheduler = Scheduler(rt.store, rt.clock, rt.sender.wake, settings.schedule_every,
                                  rt.health)  # fmt: skip
            sup.spawn("scheduler", scheduler.run)
            sup.spawn("heartbeat", lambda: rt.worker.run(rt.sender.wake))
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            print("Bot is running. Press Ctrl-C to stop.", file=sys.stderr, flush=True)
            stopping = asyncio.ensure_future(stop.wait())
            await asyncio.wait({stopping, sup.failed}, return_when=asyncio.FIRST_COMPLETED)
            stopping.cancel()
            if sup.failed.done():
                raise sup.failed.result()
        finally:
            await rt.supervisor.stop()
            if health_server is not None:
                await health_server.stop()
            for channel in reversed(running):
                await channel.stop()


async def run_console(
    settings: Settings,
    user: str = "local",
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
    clock: Clock | None = None,
) -> None:
    """The terminal demo: the conversation, the outbox loop and the scheduler, so that
    announcements and reminders reach the terminal too (at once with a `FastClock`)."""
    from handlers.console import CHANNEL, ConsoleTransport, chat, timeline

    async with runtime(settings, clock) as rt:
        rt.sender.transports[CHANNEL] = ConsoleTransport(stdout)
        every = 1.0 if isinstance(rt.clock, FastClock) else settings.schedule_every
        scheduler = Scheduler(rt.store, rt.clock, rt.sender.wake, every, rt.health)
        rt.supervisor.spawn("outbox", rt.sender.run)
        rt.supervisor.spawn("scheduler", scheduler.run)
        if isinstance(rt.clock, FastClock):
            await timeline(rt.store, rt.clock, stdout)
        await chat(rt.store, rt.conversation, rt.sender, rt.clock, user, stdin, stdout)
