"""A fake Zalo Bot API server on 127.0.0.1 for tests.

It answers the way the Zalo Bot API documents: POST JSON to /bot<TOKEN>/<method>, answers
`{"ok": true, "result": ...}` or `{"ok": false, "error_code", "description"}`; getUpdates hands
over ONE update per call with no offset (and 408 when none came in time); webhook calls carry
`{"ok": true, "result": {event_name, message}}` and the X-Bot-Api-Secret-Token header. It
checks what Zalo checks where our bugs would show: texts of 1 to 2,000 characters, a known
chat id, no webhook while polling.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

MAX_TEXT = 2000
SECRET_HEADER = "X-Bot-Api-Secret-Token"


@dataclass
class ZaloSent:
    chat_id: str
    text: str
    message_id: str
    at: float = field(default_factory=time.monotonic)

    @property
    def numbered(self) -> list[str]:
        """The choices offered as "Gõ N: label", in order."""
        return [line.split(": ", 1)[1] for line in self.text.splitlines() if line.startswith("Gõ ")]


class FakeZalo:
    def __init__(self, token: str = "1234567890:zalo-test-token-abcdefghij") -> None:
        self.token = token
        self.updates: list[dict[str, Any]] = []  # waiting for getUpdates
        self.handed: list[dict[str, Any]] = []  # what getUpdates handed over (and forgot)
        self.sent: list[ZaloSent] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.webhook: dict[str, Any] = {}
        self.blocked: set[str] = set()  # users who blocked the bot: 403
        self.fail_next: list[int] = []  # error codes for the next sendMessage calls
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    @property
    def base_url(self) -> str:
        """What the bot is configured with (DOITHOAI_ZALO_API_URL)."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FakeZalo:
        app = web.Application()
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        return self

    async def stop(self) -> None:
        async with self._changed:
            self._changed.notify_all()
        if self._runner is not None:
            await self._runner.cleanup()

    # -- what tests do -------------------------------------------------------------------------
    def update(self, user: str, event: str = "message.text.received", **content: Any) -> dict:
        """An update as Zalo documents it (the webhook body; getUpdates answers the same)."""
        message = {
            "from": {"id": user, "display_name": "Cử tri", "is_bot": False},
            "chat": {"id": user, "chat_type": "PRIVATE"},
            "message_id": f"msg{next(self._ids):06d}",
            "date": int(time.time() * 1000),
            **content,
        }
        return {"ok": True, "result": {"event_name": event, "message": message}}

    def text_update(self, user: str, text: str) -> dict:
        return self.update(user, text=text)

    async def push(self, update: dict[str, Any]) -> None:
        async with self._changed:
            self.updates.append(update)
            self._changed.notify_all()

    async def post_webhook(
        self, body: dict[str, Any] | str, secret: str | None = None, url: str | None = None
    ) -> int:
        """Deliver one update the way Zalo does in webhook mode; returns the HTTP status."""
        headers = {"Content-Type": "application/json"}
        secret = self.webhook.get("secret_token") if secret is None else secret
        if secret:
            headers[SECRET_HEADER] = secret
        data = body if isinstance(body, str) else json.dumps(body, ensure_ascii=False)
        async with (
            aiohttp.ClientSession() as session,
            session.post(url or self.webhook["url"], data=data.encode(), headers=headers) as r,
        ):
            return r.status

    def sent_to(self, chat_id: str) -> list[ZaloSent]:
        return [m for m in self.sent if m.chat_id == chat_id]

    async def wait_sent(self, chat_id: str, count: int, timeout: float = 10.0) -> list[ZaloSent]:
        async def enough() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.sent_to(chat_id)) >= count)

        try:
            await asyncio.wait_for(enough(), timeout)
        except TimeoutError:
            got = [m.text[:80] for m in self.sent_to(chat_id)]
            raise AssertionError(f"chat {chat_id}: expected {count} messages, got {got}") from None
        return self.sent_to(chat_id)

    # -- the Bot API -------------------------------------------------------------------------
    async def _dispatch(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        if request.method != "POST":
            return _error(405, "Method not allowed")
        try:
            params = await request.json() if request.can_read_body else {}
        except ValueError:
            return _error(400, "Bad request: body is not JSON")
        method = request.match_info["method"]
        self.calls.append((method, params))
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _error(404, "Not found: method")
        return await handler(params)

    async def _api_getMe(self, params: dict[str, Any]) -> web.Response:
        return _ok({"id": "7000000002", "account_name": "Bot Đối thoại", "account_type": "BASIC",
                    "can_join_groups": False})  # fmt: skip

    async def _api_getUpdates(self, params: dict[str, Any]) -> web.Response:
        if self.webhook.get("url"):
            return _error(400, "Bad request: webhook is set, getUpdates is not available")
        wait = float(params.get("timeout") or 30)
        async with self._changed:
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: bool(self.updates)), wait)
            except TimeoutError:
                return _error(408, "Request timeout")
            update = self.updates.pop(0)
            self.handed.append(update)
            self._changed.notify_all()
        return web.json_response(update)  # one update, confirmed by being handed over

    async def _api_setWebhook(self, params: dict[str, Any]) -> web.Response:
        secret = str(params.get("secret_token") or "")
        if not params.get("url") or not 8 <= len(secret) <= 256:
            return _error(400, "Bad request: url and secret_token (8-256 characters) required")
        self.webhook = {"url": params["url"], "secret_token": secret}
        return _ok({"url": params["url"], "updated_at": int(time.time() * 1000)})

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> web.Response:
        self.webhook = {}
        return _ok({"url": "", "updated_at": int(time.time() * 1000)})

    async def _api_sendMessage(self, params: dict[str, Any]) -> web.Response:
        chat_id, text = str(params.get("chat_id") or ""), params.get("text")
        if not isinstance(text, str) or not 1 <= len(text) <= MAX_TEXT:
            return _error(400, "Bad request: text must be 1-2000 characters")
        if not chat_id:
            return _error(400, "Bad request: chat_id is required")
        if self.fail_next:
            return _error(self.fail_next.pop(0), "Failed on purpose")
        if chat_id in self.blocked:
            return _error(403, "Forbidden: the user has blocked the bot")
        message = ZaloSent(chat_id, text, f"out{next(self._ids):06d}")
        async with self._changed:
            self.sent.append(message)
            self._changed.notify_all()
        return _ok({"message_id": message.message_id, "date": int(time.time() * 1000)})

    async def _api_sendChatAction(self, params: dict[str, Any]) -> web.Response:
        return web.json_response({"ok": True})


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(code: int, description: str) -> web.Response:
    return web.json_response({"ok": False, "error_code": code, "description": description})
