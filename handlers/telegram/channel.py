"""Wiring of the Telegram channel: PTB application, durable polling, webhook server.

PTB's own Updater confirms updates to Telegram (the next getUpdates offset) before they are
handled, so a crash could lose them. Here an update is first stored in the inbox, and only
then confirmed: by the next getUpdates call (polling) or by the HTTP 200 (webhook).

getUpdates is read raw and each update is parsed on its own: one that PTB cannot parse (Bot
API and library versions drift apart) is quarantined in the inbox with the reason, and the
offset moves past it, so it can never stop intake for everyone else.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import warnings
from collections.abc import Coroutine, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from telegram import BotCommand, Update
from telegram.error import (
    EndPointNotFound,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
    TimedOut,
)
from telegram.ext import (
    Application,
    BaseUpdateProcessor,
    CallbackQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)
from telegram.request import HTTPXRequest
from telegram.warnings import PTBUserWarning

from bot import metrics, texts
from bot.clock import Clock
from bot.config import Settings
from bot.conversation import Conversation
from bot.errors import ConfigError
from bot.health import Health
from bot.outbox import OutboxSender
from bot.ports import NewInbound, Store
from bot.supervisor import FatalError, Supervisor
from handlers.telegram import handlers
from handlers.telegram.convert import CHANNEL, TelegramTransport, retry_seconds
from handlers.telegram.request import AiohttpRequest
from handlers.webhook import BadBody, Handler, WebhookServer, read_json

log = logging.getLogger(__name__)
# getUpdates is called raw on purpose (each update is parsed on its own, see above).
warnings.filterwarnings("ignore", message=r"Please use 'Bot\.getUpdates'", category=PTBUserWarning)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "edited_message", "callback_query"]
WEBHOOK_PATH = "/telegram"
# Updates handled at once. Each holds at most one reply whose outcome is not yet recorded,
# so this also bounds the replies that may go out twice after a crash.
MAX_CONCURRENT_UPDATES = 64
INTAKE = f"{CHANNEL}:intake"  # the health component of this channel's intake
WEBHOOK_WATCH_EVERY = 60.0  # seconds between two getWebhookInfo checks


class PerChatProcessor(BaseUpdateProcessor):
    """Updates of different chats run concurrently; one chat's updates run in order."""

    def __init__(self, max_concurrent_updates: int) -> None:
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, tuple[asyncio.Lock, int]] = {}

    async def do_process_update(self, update: object, coroutine: Coroutine[Any, Any, Any]) -> None:
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        lock, users = self._locks.get(chat.id, (asyncio.Lock(), 0))
        self._locks[chat.id] = (lock, users + 1)
        try:
            async with lock:
                await coroutine
        finally:
            lock, users = self._locks[chat.id]
            if users <= 1:
                del self._locks[chat.id]
            else:
                self._locks[chat.id] = (lock, users - 1)

    async def initialize(self) -> None:
        pass

    async def shutdown(self) -> None:
        pass


def _request(settings: Settings, pool: int) -> AiohttpRequest | HTTPXRequest:
    if settings.telegram_transport == "httpx":
        return HTTPXRequest(connection_pool_size=pool)
    return AiohttpRequest(connection_pool_size=pool)


def build_application(settings: Settings) -> Application:
    assert settings.telegram_token
    builder = (
        Application.builder()
        .token(settings.telegram_token)
        .request(_request(settings, 128))
        .get_updates_request(_request(settings, 2))
        .updater(None)
        .concurrent_updates(PerChatProcessor(MAX_CONCURRENT_UPDATES))
    )
    if settings.telegram_api_url:
        base = settings.telegram_api_url.rstrip("/")
        builder = builder.base_url(f"{base}/bot").base_file_url(f"{base}/file/bot")
    app = builder.build()
    app.add_handler(CallbackQueryHandler(handlers.on_callback))
    app.add_handler(MessageHandler(filters.ALL, handlers.on_message))
    app.add_handler(TypeHandler(Update, handlers.on_other))
    app.add_error_handler(handlers.on_error)
    return app


class TelegramChannel:
    name = CHANNEL

    def __init__(
        self,
        settings: Settings,
        store: Store,
        conversation: Conversation,
        sender: OutboxSender,
        clock: Clock,
        supervisor: Supervisor | None = None,
        health: Health | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.conversation = conversation
        self.sender = sender
        self.clock = clock
        self.app = build_application(settings)
        self.app.bot_data["channel"] = self
        self.transport = TelegramTransport(self.app.bot)
        sender.transports[CHANNEL] = self.transport
        self.supervisor = supervisor or Supervisor()
        self.health = health
        self.operator_routes: dict[str, Handler] = {}  # /healthz, /metrics on the webhook
        self._webhook: WebhookServer | None = None
        self.webhook_port: int | None = None

    async def start(self) -> None:
        await self._initialize()
        await self.app.start()
        await self._set_commands()
        await self.recover()
        if self.settings.telegram_mode == "webhook":
            await self._start_webhook()
            self.supervisor.spawn("telegram-webhook-watch", self._watch_webhook)
        else:
            await self.app.bot.delete_webhook()
            self.supervisor.spawn("telegram-poll", self._poll)
        log.info(
            "Telegram channel started (%s) as @%s",
            self.settings.telegram_mode,
            self.app.bot.username,
        )

    async def _initialize(self) -> None:
        """Reach Telegram (getMe): wait while the network is down, stop on a wrong token."""
        delay = 1.0
        while True:
            try:
                await self.app.initialize()
                return
            except InvalidToken as err:
                await self.app.bot.shutdown()
                raise ConfigError(
                    "Telegram rejected the bot token: check DOITHOAI_TELEGRAM_TOKEN"
                ) from err
            except NetworkError as err:
                await self.app.bot.shutdown()
                log.warning("cannot reach the Telegram Bot API (%s); retrying in %.0fs", err, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 60.0)

    async def stop(self) -> None:
        await self.supervisor.cancel("telegram-poll")
        await self.supervisor.cancel("telegram-webhook-watch")
        if self._webhook is not None:
            await self._webhook.stop()
            self._webhook = None
        if self.app.running:
            await self.app.stop()
        await self.app.shutdown()

    async def _set_commands(self) -> None:
        commands = [BotCommand(name, text) for name, text in texts.COMMANDS.items()]
        try:
            await self.app.bot.set_my_commands(commands)
        except NetworkError as err:  # cosmetic: the menu of commands in Telegram's UI
            log.warning("could not set the command menu: %s", err)

    async def recover(self) -> None:
        """Queue what was stored but not handled before the last stop (or crash)."""
        pending = await self.store.inbox_unhandled(CHANNEL, limit=100_000)
        for event in pending:
            update = await self._parse(event.payload, event.event_key)
            if update is not None:
                await self.app.update_queue.put(update)
        if pending:
            log.info("re-queued %d stored updates not handled before the last stop", len(pending))

    async def _parse(self, raw: str, event_key: str) -> Update | None:
        """PTB's Update, or None: then the update is quarantined with the reason."""
        try:
            data = json.loads(raw)
            update = Update.de_json(data, self.app.bot)
            if update is None:
                raise ValueError("empty update")
            return update
        except Exception as err:  # whatever the library raises: never let it stop intake
            await self.quarantine(event_key, raw, err)
            return None

    async def quarantine(self, event_key: str, raw: str, err: BaseException) -> None:
        reason = f"{type(err).__name__}: {err}"
        log.error("telegram update %r quarantined: %r", event_key, reason[:300])
        metrics.UPDATES_QUARANTINED.labels(CHANNEL).inc()
        await self.store.inbox_quarantine(CHANNEL, event_key, raw, reason, self.clock.now())

    async def accept(self, updates: Sequence[Update], raw: Sequence[str] | None = None) -> int:
        """Store updates (idempotently), then queue the ones not seen before.

        `raw` is each update's JSON as received; without it, PTB's serialisation is stored.
        """
        events = [
            NewInbound(
                CHANNEL,
                str(u.update_id),
                str(u.effective_user.id) if u.effective_user else None,
                raw[i] if raw is not None else json.dumps(u.to_dict(), ensure_ascii=False),
            )
            for i, u in enumerate(updates)
        ]
        fresh = await self.store.inbox_store(events, self.clock.now())
        queued = 0
        for update, is_new in zip(updates, fresh, strict=True):
            if is_new:
                await self.app.update_queue.put(update)
                queued += 1
        metrics.UPDATES_IN.labels(CHANNEL).inc(queued)
        return queued

    async def _poll(self) -> None:
        offset: int | None = None
        backoff = 1.0
        timeout = self.settings.poll_timeout
        while True:
            try:
                items = await self.app.bot.do_api_request(
                    "getUpdates",
                    api_kwargs={"offset": offset, "timeout": timeout,
                                "allowed_updates": ALLOWED_UPDATES},
                    read_timeout=timeout + 10,
                )  # fmt: skip
            except TimedOut:
                continue
            except (InvalidToken, EndPointNotFound) as err:  # PTB says the latter for a raw 401
                raise FatalError("Telegram rejected the bot token; polling stops") from err
            except RetryAfter as err:
                await asyncio.sleep(retry_seconds(err))
                continue
            except NetworkError as err:
                self._intake_error(err)
                log.warning("getUpdates failed (%s); retrying in %.0fs", err, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 1.0
            if self.health is not None:
                self.health.ok(INTAKE)
            if not isinstance(items, list) or not items:
                continue
            parsed, raws, last = [], [], offset
            for item in items:
                update_id = item.get("update_id") if isinstance(item, dict) else None
                if type(update_id) is int:
                    last = max(last or 0, update_id + 1)
                raw = json.dumps(item, ensure_ascii=False)
                key = str(update_id) if type(update_id) is int else _digest(raw)
                update = await self._parse(raw, key)
                if update is not None:
                    parsed.append(update)
                    raws.append(raw)
            if parsed:
                await self.accept(parsed, raws)
            # Only now, with the batch stored, does the next call confirm it to Telegram.
            offset = last

    def _intake_error(self, err: BaseException) -> None:
        if self.health is not None:
            self.health.error(INTAKE, err)

    async def _start_webhook(self) -> None:
        assert self.settings.webhook_url and self.settings.webhook_secret
        self._webhook = WebhookServer(WEBHOOK_PATH, self._on_webhook, 1 << 20,
                                      self.operator_routes)  # fmt: skip
        self.webhook_port = await self._webhook.start(
            self.settings.webhook_listen, self.settings.webhook_port
        )
        await self.app.bot.set_webhook(
            url=self.settings.webhook_url,
            secret_token=self.settings.webhook_secret,
            allowed_updates=ALLOWED_UPDATES,
        )

    async def _watch_webhook(self) -> None:
        """A quiet webhook is not a sick one: ask Telegram how delivery to us goes."""
        while True:
            try:
                info = await self.app.bot.get_webhook_info()
            except TelegramError as err:
                self._intake_error(err)
            else:
                failed = info.last_error_date
                recent = failed is not None and (
                    datetime.now(UTC) - failed < timedelta(seconds=2 * WEBHOOK_WATCH_EVERY)
                )
                if recent:
                    self._intake_error(RuntimeError(f"Telegram: {info.last_error_message}"))
                elif self.health is not None:
                    self.health.ok(INTAKE)
            await asyncio.sleep(WEBHOOK_WATCH_EVERY)

    async def _on_webhook(self, request: web.Request) -> web.Response:
        """200 once stored; 400 for any body that is not an update we can read (and an update
        PTB cannot parse is quarantined first, so nothing is lost); never 500."""
        secret = self.settings.webhook_secret or ""
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            log.warning("webhook call with a wrong secret from %s", request.remote)
            return web.Response(status=403)
        try:
            data, body = await read_json(request)
        except BadBody as err:
            log.warning("telegram webhook: unreadable body (%s)", err)
            return web.Response(status=400)
        if not isinstance(data, dict) or type(data.get("update_id")) is not int:
            return web.Response(status=400)  # the update id is our idempotency key
        update = await self._parse(body, str(data["update_id"]))
        if update is None:
            return web.Response(status=400)
        await self.accept([update], [body])  # stored before Telegram gets its 200
        if self.health is not None:
            self.health.ok(INTAKE)
        return web.Response(status=200)


def _digest(raw: str) -> str:
    """The inbox key of an update without a usable update_id."""
    return "bad:" + hashlib.sha256(raw.encode()).hexdigest()[:32]
