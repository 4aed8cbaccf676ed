"""Wiring of the Zalo channel: durable polling or webhook, per-chat ordered handling.

Every update is stored in the inbox before anything else happens to it. In webhook mode Zalo
gets its HTTP 200 only after that, so a crash loses nothing. getUpdates has no offset to
confirm with: Zalo forgets an update the moment it hands it over, so in polling mode the
instant between its answer and the insert is a gap no client can close (Zalo advises the
webhook in production; so do we). Polling asks for the next update only once the last is
stored, so a crash loses at most the one in flight.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from bot import metrics
from bot.clock import Clock
from bot.config import Settings
from bot.conversation import Conversation
from bot.errors import ConfigError
from bot.health import Health
from bot.outbox import OutboxSender
from bot.ports import NewInbound, Store
from bot.supervisor import FatalError, Supervisor
from handlers.webhook import BadBody, Handler, WebhookServer, read_json
from handlers.zalo.client import ZaloApi, ZaloApiError, ZaloNetworkError
from handlers.zalo.convert import (
    CHANNEL,
    ZaloTransport,
    event_key,
    event_of,
    to_inbound,
    user_key_of,
)

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Bot-Api-Secret-Token"
WEBHOOK_PATH = "/zalo"
MAX_BODY = 256 * 1024
MAX_CONCURRENT_UPDATES = 64  # as on Telegram: bounds the replies a crash may send twice
INTAKE = f"{CHANNEL}:intake"

Job = Callable[[], Awaitable[None]]


class ChatQueues:
    """Runs one chat's jobs in order and different chats' jobs concurrently (at most
    `limit` at once): a resident's messages are answered in the order they were sent."""

    def __init__(self, limit: int) -> None:
        self._queues: dict[str, deque[Job]] = {}
        self._slots = asyncio.Semaphore(limit)
        self._tasks: set[asyncio.Task[None]] = set()

    def submit(self, key: str, job: Job) -> None:
        queue = self._queues.get(key)
        if queue is not None:
            queue.append(job)
            return
        self._queues[key] = deque([job])
        task = asyncio.create_task(self._run(key), name=f"zalo-chat-{key}")
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _run(self, key: str) -> None:
        queue = self._queues[key]
        try:
            while queue:
                async with self._slots:
                    try:
                        await queue[0]()
                    except Exception:  # the inbox keeps it; the next start handles it again
                        log.exception("zalo: handling a message of chat %r failed", key)
                queue.popleft()
        finally:
            self._queues.pop(key, None)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)


class ZaloChannel:
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
        assert settings.zalo_token
        self.settings = settings
        self.store = store
        self.conversation = conversation
        self.sender = sender
        self.clock = clock
        self.api = ZaloApi(settings.zalo_token, settings.zalo_api_url)
        sender.transports[CHANNEL] = ZaloTransport(self.api)
        self.chats = ChatQueues(MAX_CONCURRENT_UPDATES)
        self.supervisor = supervisor or Supervisor()
        self.health = health
        self.operator_routes: dict[str, Handler] = {}  # /healthz, /metrics on the webhook
        self._webhook: WebhookServer | None = None
        self.webhook_port: int | None = None
        self.account_name = ""

    async def start(self) -> None:
        await self._check_token()
        await self.recover()
        if self.settings.zalo_mode == "webhook":
            await self._start_webhook()
            self.supervisor.spawn("zalo-webhook-watch", self._watch_webhook)
        else:
            await self.api.delete_webhook()  # getUpdates answers nothing while one is set
            log.warning("Zalo polling: a crash can lose the one update being stored at that"
                        " instant (getUpdates has no offset); use DOITHOAI_ZALO_MODE=webhook in"
                        " production")  # fmt: skip
            self.supervisor.spawn("zalo-poll", self._poll)
        log.info("Zalo channel started (%s) as %s", self.settings.zalo_mode, self.account_name)

    async def _check_token(self) -> None:
        """Reach Zalo (getMe): wait while the network is down, stop on a wrong token."""
        delay = 1.0
        while True:
            try:
                me = await self.api.get_me()
                self.account_name = str(me.get("account_name") or me.get("id") or "")
                return
            except ZaloApiError as err:
                if err.bad_token:
                    await self.api.close()
                    raise ConfigError(
                        "Zalo rejected the bot token: check DOITHOAI_ZALO_TOKEN"
                    ) from None
                log.warning("Zalo getMe failed (%s); retrying in %.0fs", err, delay)
            except ZaloNetworkError as err:
                log.warning("cannot reach the Zalo Bot API (%s); retrying in %.0fs", err, delay)
            await asyncio.sleep(delay)
            delay = min(delay * 2, 60.0)

    async def stop(self) -> None:
        await self.supervisor.cancel("zalo-poll")
        await self.supervisor.cancel("zalo-webhook-watch")
        if self._webhook is not None:
            await self._webhook.stop()
            self._webhook = None
        await self.chats.close()
        await self.api.close()

    async def recover(self) -> None:
        """Handle what was stored but not handled before the last stop (or crash)."""
        pending = await self.store.inbox_unhandled(CHANNEL, limit=100_000)
        for event in pending:
            parsed = event_of(_json(event.payload))
            if parsed is not None:
                self._dispatch(parsed, event.event_key)
        if pending:
            log.info("zalo: re-queued %d stored updates not handled before the last stop",
                     len(pending))  # fmt: skip

    async def accept(self, updates: list[tuple[dict[str, Any], str]]) -> int:
        """Store updates (idempotently), then queue the ones not seen before.

        Each update comes with its JSON as received, which is what the inbox keeps."""
        keyed = [(event, raw, event_key(event, raw)) for event, raw in updates]
        rows = [NewInbound(CHANNEL, key, user_key_of(event) or None, raw)
                for event, raw, key in keyed]  # fmt: skip
        fresh = await self.store.inbox_store(rows, self.clock.now())
        queued = 0
        for (event, _, key), is_new in zip(keyed, fresh, strict=True):
            if is_new:
                self._dispatch(event, key)
                queued += 1
        metrics.UPDATES_IN.labels(CHANNEL).inc(queued)
        return queued

    def _dispatch(self, event: dict[str, Any], key: str) -> None:
        chat = (event.get("message") or {}).get("chat") or {}
        chat_id = str(chat.get("id") or "") if isinstance(chat, dict) else ""

        async def handle() -> None:
            try:
                inbound = to_inbound(event, key, self.clock.now())
            except Exception as err:  # a shape we do not understand: aside, never replayed
                raw = json.dumps(event, ensure_ascii=False, default=str)
                await self.quarantine(key, raw, err)
                return
            outgoing = await self.conversation.handle(inbound)
            await self.sender.deliver(outgoing)

        self.chats.submit(chat_id, handle)

    async def quarantine(self, key: str, raw: str, err: BaseException) -> None:
        reason = f"{type(err).__name__}: {err}"
        log.error("zalo update %r quarantined: %r", key, reason[:300])
        metrics.UPDATES_QUARANTINED.labels(CHANNEL).inc()
        await self.store.inbox_quarantine(CHANNEL, key, raw, reason, self.clock.now())

    async def _poll(self) -> None:
        """One update at a time, the next asked for only once the last is stored: a crash
        loses at most the update in flight (tests/test_crash.py holds this)."""
        backoff = 1.0
        timeout = max(1, self.settings.poll_timeout)
        while True:
            try:
                update = await self.api.get_updates(timeout)
            except ZaloApiError as err:
                if err.bad_token:
                    raise FatalError("Zalo rejected the bot token; polling stops") from err
                self._intake_error(err)
                log.warning("Zalo getUpdates failed (%s); retrying in %.0fs", err, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            except ZaloNetworkError as err:
                self._intake_error(err)
                log.warning("Zalo getUpdates failed (%s); retrying in %.0fs", err, backoff)
                await asyncio.sleep(backoff)
                backoff = min(backoff * 2, 30.0)
                continue
            backoff = 1.0
            if self.health is not None:
                self.health.ok(INTAKE)
            if update is None:
                continue
            raw = json.dumps(update, ensure_ascii=False)
            event = event_of(update)
            try:
                if event is None:  # not an update we understand: kept aside, not dropped
                    await self.quarantine(event_key({}, raw), raw, ValueError("not an update"))
                    continue
                await self.accept([(event, raw)])
            except Exception:  # Zalo has forgotten it already: say so, and keep polling
                log.exception("zalo: an update could not be stored and is lost")

    async def _start_webhook(self) -> None:
        url, secret = self.settings.zalo_webhook_url, self.settings.zalo_webhook_secret
        assert url and secret
        self._webhook = WebhookServer(WEBHOOK_PATH, self._on_webhook, MAX_BODY,
                                      self.operator_routes)  # fmt: skip
        self.webhook_port = await self._webhook.start(
            self.settings.webhook_listen, self.settings.zalo_webhook_port
        )
        await self.api.set_webhook(url, secret)

    async def _watch_webhook(self) -> None:
        """A quiet webhook is not a sick one: while Zalo answers us, intake counts as well."""
        while True:
            try:
                await self.api.get_me()
            except (ZaloApiError, ZaloNetworkError) as err:
                self._intake_error(err)
            else:
                if self.health is not None:
                    self.health.ok(INTAKE)
            await asyncio.sleep(60.0)

    async def _on_webhook(self, request: web.Request) -> web.Response:
        secret = self.settings.zalo_webhook_secret or ""
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), secret.encode()):
            log.warning("zalo webhook call with a wrong secret from %s", request.remote)
            return web.Response(status=403)
        try:
            body, raw = await read_json(request)
        except web.HTTPRequestEntityTooLarge:
            return web.Response(status=413)
        except BadBody as err:
            log.warning("zalo webhook: unreadable body (%s)", err)
            return web.Response(status=400)
        event = event_of(body)
        if event is None:
            return web.Response(status=400)
        await self.accept([(event, raw)])  # stored before Zalo gets its 200
        if self.health is not None:
            self.health.ok(INTAKE)
        return web.json_response({"ok": True})

    def _intake_error(self, err: BaseException) -> None:
        if self.health is not None:
            self.health.error(INTAKE, err)


def _json(text: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None
