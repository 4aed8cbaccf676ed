"""A fake Telegram Bot API server on 127.0.0.1 for tests and benchmarks.

It speaks the HTTP protocol the real python-telegram-bot client speaks (JSON, form and
multipart bodies; `{"ok": ..., "result": ...}` answers) and checks what Telegram checks where
our bugs would show: HTML that does not parse, texts over 4,096 characters, callback data over
64 bytes, blocked users. Tests push updates in and read what the bot sent out.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import math
import random
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any

import aiohttp
from aiohttp import web

BOT_ID = 7000000001
BOT_USERNAME = "doithoai_test_bot"
ALLOWED_TAGS = {
    "b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
    "span", "tg-spoiler", "blockquote", "tg-emoji",
}  # fmt: skip


class _EntityCheck(HTMLParser):
    """Rejects what Telegram's HTML parse mode rejects: unknown or unbalanced tags."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.stack: list[str] = []
        self.error: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in ALLOWED_TAGS:
            self.error = f'Unsupported start tag "{tag}"'
        self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack[-1] != tag:
            self.error = f'Unmatched end tag "{tag}"'
        else:
            self.stack.pop()


def html_error(text: str) -> str | None:
    parser = _EntityCheck()
    # A bare "<" or "&" that is not an entity is an error for Telegram too.
    for i, ch in enumerate(text):
        if ch == "&":
            end = text.find(";", i)
            if end == -1 or end - i > 10:
                return "Can't parse entities: unescaped '&'"
    parser.feed(text)
    parser.close()
    if parser.error:
        return f"Can't parse entities: {parser.error}"
    if parser.stack:
        return f'Can\'t parse entities: unclosed tag "{parser.stack[-1]}"'
    if "<" in parser.rawdata:
        return "Can't parse entities: unescaped '<'"
    return None


def visible_text(text: str) -> str:
    """The text a user sees once Telegram has parsed the HTML."""

    class _Strip(HTMLParser):
        def __init__(self) -> None:
            super().__init__(convert_charrefs=True)
            self.parts: list[str] = []

        def handle_data(self, data: str) -> None:
            self.parts.append(data)

    parser = _Strip()
    parser.feed(text)
    parser.close()
    return "".join(parser.parts)


@dataclass
class Sent:
    """One message the bot sent (or edited)."""

    method: str
    chat_id: int
    message_id: int
    text: str
    params: dict[str, Any]
    at: float = field(default_factory=time.monotonic)

    @property
    def visible(self) -> str:
        return visible_text(self.text) if self.params.get("parse_mode") == "HTML" else self.text

    @property
    def buttons(self) -> list[tuple[str, str]]:
        markup = self.params.get("reply_markup") or {}
        rows = markup.get("inline_keyboard", []) if isinstance(markup, dict) else []
        return [(b["text"], b.get("callback_data", "")) for row in rows for b in row]


@dataclass
class Limits:
    """Telegram's flood control, for the broadcast tests and bench (off unless given):
    about `rate` messages a second overall and `chat_rate` in one chat (token buckets of one
    second and of 3 messages), answered with 429 and a retry_after when exceeded; a share of
    calls fails with HTTP 500; each send takes `latency` seconds."""

    rate: float
    chat_rate: float = 1.0
    fail_share: float = 0.0
    latency: float = 0.0
    seed: int = 1


class _Bucket:
    def __init__(self, rate: float, capacity: float) -> None:
        self.rate, self.capacity = rate, capacity
        self.tokens, self.stamp = capacity, time.monotonic()

    def take(self) -> float:
        """0 if a token was free, else the seconds until one is."""
        now = time.monotonic()
        self.tokens = min(self.capacity, self.tokens + (now - self.stamp) * self.rate)
        self.stamp = now
        if self.tokens >= 1:
            self.tokens -= 1
            return 0.0
        return (1 - self.tokens) / self.rate


class FakeTelegram:
    def __init__(
        self, token: str = "123456:TEST-token-abcdefghijklmnopqrstu", limits: Limits | None = None
    ) -> None:
        self.token = token
        self.limits = limits
        self.throttled = 0  # 429 answers given for going over the limits
        self.failed = 0  # calls failed on purpose (fail_share)
        self.in_flight = 0
        self.max_in_flight = 0
        if limits is not None:
            self._overall = _Bucket(limits.rate, max(1.0, limits.rate))
            self._chats: dict[int, _Bucket] = {}
            self._random = random.Random(limits.seed)
        self.updates: list[dict[str, Any]] = []
        self.confirmed_below = 0  # every update_id below this was acknowledged by an offset
        self.sent: list[Sent] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.callback_answers: list[dict[str, Any]] = []
        self.commands: list[dict[str, Any]] = []
        self.webhook: dict[str, Any] = {}
        self.blocked: set[int] = set()
        self.fail_next: list[int] = []  # HTTP statuses to answer the next sendMessage calls with
        self.get_updates_status: int | None = None  # answer every getUpdates with this error
        self.pushed_at: dict[int, float] = {}
        self._update_ids = itertools.count(1)
        self._message_ids = itertools.count(1000)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.port = 0

    # -- server lifecycle ------------------------------------------------------------------
    @property
    def base_url(self) -> str:
        """What the bot is configured with (DOITHOAI_TELEGRAM_API_URL)."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FakeTelegram:
        app = web.Application(client_max_size=64 << 20)
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)
        app.router.add_route("*", "/file/bot{token}/{path:.*}", self._file)
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
    @staticmethod
    def user(user_id: int, first_name: str = "Cử tri") -> dict[str, Any]:
        return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "vi"}

    def _message(self, user_id: int, **content: Any) -> dict[str, Any]:
        return {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private", "first_name": "Cử tri"},
            "from": self.user(user_id),
            **content,
        }

    def text_update(self, user_id: int, text: str) -> dict[str, Any]:
        content: dict[str, Any] = {"text": text}
        if text.startswith("/"):
            length = len(text.split(" ", 1)[0])
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": length}]
        return {"message": self._message(user_id, **content)}

    def document_update(self, user_id: int, caption: str | None = None) -> dict[str, Any]:
        document = {"file_id": f"doc-{user_id}", "file_unique_id": f"d{user_id}",
                    "file_name": "cong-van-so-12.pdf", "mime_type": "application/pdf"}
        content: dict[str, Any] = {"document": document}
        if caption is not None:
            content["caption"] = caption
        return {"message": self._message(user_id, **content)}

    def photo_update(self, user_id: int, caption: str | None = None) -> dict[str, Any]:
        sizes = [
            {"file_id": f"photo-{user_id}-{n}-{w}", "file_unique_id": f"u{user_id}{n}{w}",
             "width": w, "height": w, "file_size": w * 10}
            for n, w in enumerate((90, 320, 1280))
        ]  # fmt: skip
        content: dict[str, Any] = {"photo": sizes}
        if caption is not None:
            content["caption"] = caption
        return {"message": self._message(user_id, **content)}

    def sticker_update(self, user_id: int) -> dict[str, Any]:
        sticker = {"file_id": "sticker-1", "file_unique_id": "s1", "width": 512, "height": 512,
                   "is_animated": False, "is_video": False, "type": "regular"}  # fmt: skip
        return {"message": self._message(user_id, sticker=sticker)}

    def voice_update(self, user_id: int) -> dict[str, Any]:
        voice = {"file_id": "voice-1", "file_unique_id": "v1", "duration": 3}
        return {"message": self._message(user_id, voice=voice)}

    def location_update(self, user_id: int) -> dict[str, Any]:
        return {"message": self._message(user_id, location={"latitude": 20.2, "longitude": 106.5})}

    def callback_update(
        self, user_id: int, data: str, message: Sent | None = None
    ) -> dict[str, Any]:
        msg = {
            "message_id": message.message_id if message else 1,
            "date": int(time.time()),
            "chat": {"id": user_id, "type": "private"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": "Đối thoại"},
            "text": message.visible if message else "…",
        }
        if message is not None and message.params.get("reply_markup"):
            msg["reply_markup"] = message.params["reply_markup"]
        return {
            "callback_query": {
                "id": str(next(self._message_ids)),
                "from": self.user(user_id),
                "chat_instance": str(user_id),
                "data": data,
                "message": msg,
            }
        }

    async def push(self, *updates: dict[str, Any]) -> list[int]:
        """Queue updates for getUpdates; returns their update ids."""
        ids = []
        async with self._changed:
            for update in updates:
                update = dict(update)
                update.setdefault("update_id", next(self._update_ids))
                self.updates.append(update)
                self.pushed_at[update["update_id"]] = time.monotonic()
                ids.append(update["update_id"])
            self._changed.notify_all()
        return ids

    async def post_webhook(
        self, update: dict[str, Any], secret: str | None = None, url: str | None = None
    ) -> int:
        """Deliver one update the way Telegram does in webhook mode; returns the HTTP status."""
        update = dict(update)
        update.setdefault("update_id", next(self._update_ids))
        self.pushed_at[update["update_id"]] = time.monotonic()
        headers = {"Content-Type": "application/json"}
        secret = self.webhook.get("secret_token") if secret is None else secret
        if secret:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret
        async with (
            aiohttp.ClientSession() as session,
            session.post(
                url or self.webhook["url"], data=json.dumps(update), headers=headers
            ) as response,
        ):
            return response.status

    def sent_to(self, chat_id: int) -> list[Sent]:
        """The messages that went to a chat (edits of earlier ones are not new messages)."""
        return [m for m in self.sent if m.chat_id == chat_id and not m.method.startswith("edit")]

    def edits_to(self, chat_id: int) -> list[Sent]:
        return [m for m in self.sent if m.chat_id == chat_id and m.method == "editMessageText"]

    def shown(self, chat_id: int, message_id: int) -> Sent:
        """A message as the chat shows it now: as sent, or as last edited."""
        return [m for m in self.sent if m.chat_id == chat_id and m.message_id == message_id
                and m.method != "editMessageReplyMarkup"][-1]

    async def wait_sent(self, chat_id: int, count: int, timeout: float = 10.0) -> list[Sent]:
        """Wait until `count` messages in all went to `chat_id`; return them all."""

        async def enough() -> None:
            async with self._changed:
                await self._changed.wait_for(lambda: len(self.sent_to(chat_id)) >= count)

        try:
            await asyncio.wait_for(enough(), timeout)
        except TimeoutError:
            got = [m.visible[:80] for m in self.sent_to(chat_id)]
            raise AssertionError(f"chat {chat_id}: expected {count} messages, got {got}") from None
        return self.sent_to(chat_id)

    async def wait_for(self, predicate: Any, timeout: float = 10.0) -> None:
        async def until() -> None:
            async with self._changed:
                await self._changed.wait_for(predicate)

        await asyncio.wait_for(until(), timeout)

    # -- the Bot API -------------------------------------------------------------------------
    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.method == "POST" and request.can_read_body:
            ctype = request.content_type
            if ctype == "application/json":
                params.update(await request.json())
            elif ctype in ("application/x-www-form-urlencoded", "multipart/form-data"):
                form = await request.post()
                for key, value in form.items():
                    params[key] = value if isinstance(value, str) else value.file.read()
        for key in ("reply_markup", "allowed_updates", "commands"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        return params

    async def _dispatch(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return _error(401, "Unauthorized")
        method = request.match_info["method"]
        params = await self._params(request)
        self.calls.append((method, params))
        handler = getattr(self, f"_api_{method}", None)
        if handler is None:
            return _error(404, "Not Found: method not found")
        return await handler(params)

    async def _file(self, request: web.Request) -> web.Response:
        return web.Response(body=b"\xff\xd8\xff fake jpeg")

    async def _api_getMe(self, params: dict[str, Any]) -> web.Response:
        me = {"id": BOT_ID, "is_bot": True, "first_name": "Đối thoại", "username": BOT_USERNAME}
        return _ok(me | {"can_join_groups": True, "can_read_all_group_messages": False})

    async def _api_getUpdates(self, params: dict[str, Any]) -> web.Response:
        if self.get_updates_status is not None:
            return _error(self.get_updates_status, "Unauthorized")
        if self.webhook.get("url"):
            return _error(409, "Conflict: can't use getUpdates method while webhook is active")
        offset = int(params.get("offset") or 0)
        limit = min(int(params.get("limit") or 100), 100)
        timeout = float(params.get("timeout") or 0)
        async with self._changed:
            if offset:
                self.confirmed_below = max(self.confirmed_below, offset)
                self.updates = [u for u in self.updates if u["update_id"] >= offset]
                self._changed.notify_all()
            try:
                await asyncio.wait_for(self._changed.wait_for(lambda: bool(self.updates)), timeout)
            except TimeoutError:
                pass
            batch = self.updates[:limit]
        return _ok(batch)

    def _check_text(self, text: str, params: dict[str, Any]) -> web.Response | None:
        if not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if params.get("parse_mode") == "HTML":
            problem = html_error(text)
            if problem:
                return _error(400, f"Bad Request: {problem}")
            text = visible_text(text)
        if len(text) > 4096:
            return _error(400, "Bad Request: message is too long")
        markup = params.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []) if isinstance(markup, dict) else []:
            for button in row:
                if len(button.get("callback_data", "").encode()) > 64:
                    return _error(400, "Bad Request: BUTTON_DATA_INVALID")
        return None

    def _flood_control(self, chat_id: int) -> web.Response | None:
        limits = self.limits
        if limits is None:
            return None
        if limits.fail_share and self._random.random() < limits.fail_share:
            self.failed += 1
            return _error(500, "Internal Server Error")
        chat = self._chats.get(chat_id)
        if chat is None:
            chat = self._chats[chat_id] = _Bucket(limits.chat_rate, 3.0)
        wait = max(chat.take(), 0.0)
        if not wait:
            wait = self._overall.take()
            if wait:
                chat.tokens += 1  # not sent: give the chat its token back
        if wait:
            self.throttled += 1
            seconds = max(1, math.ceil(wait))
            return _error(429, f"Too Many Requests: retry after {seconds}",
                          {"retry_after": seconds})  # fmt: skip
        return None

    async def _record(self, method: str, params: dict[str, Any], text: str) -> web.Response:
        chat_id = int(params["chat_id"])
        if method == "sendMessage" and self.limits is not None:
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            try:
                if self.limits.latency:
                    await asyncio.sleep(self.limits.latency)
                refused = self._flood_control(chat_id)
            finally:
                self.in_flight -= 1
            if refused is not None:
                return refused
        if self.fail_next:
            status = self.fail_next.pop(0)
            if status == 429:
                return _error(429, "Too Many Requests: retry after 1", {"retry_after": 1})
            return _error(status, "Internal Server Error")
        if chat_id in self.blocked:
            return _error(403, "Forbidden: bot was blocked by the user")
        message_id = int(params.get("message_id") or next(self._message_ids))
        record = Sent(method, chat_id, message_id, text, params)
        async with self._changed:
            self.sent.append(record)
            self._changed.notify_all()
        return _ok({"message_id": message_id, "date": int(time.time()),
                    "chat": {"id": chat_id, "type": "private"}, "text": visible_text(text)
                    if params.get("parse_mode") == "HTML" else text})  # fmt: skip

    async def _api_sendMessage(self, params: dict[str, Any]) -> web.Response:
        text = str(params.get("text", ""))
        return self._check_text(text, params) or await self._record("sendMessage", params, text)

    async def _api_sendPhoto(self, params: dict[str, Any]) -> web.Response:
        caption = str(params.get("caption", ""))
        if caption and (bad := self._check_text(caption, params)):
            return bad
        return await self._record("sendPhoto", params, caption)

    async def _api_sendDocument(self, params: dict[str, Any]) -> web.Response:
        caption = str(params.get("caption", ""))
        return await self._record("sendDocument", params, caption)

    async def _api_editMessageText(self, params: dict[str, Any]) -> web.Response:
        text = str(params.get("text", ""))
        chat_id, message_id = int(params["chat_id"]), int(params.get("message_id") or 0)
        before = [m for m in self.sent if m.chat_id == chat_id and m.message_id == message_id
                  and m.method in ("sendMessage", "editMessageText")]  # fmt: skip
        if not before:
            return _error(400, "Bad Request: message to edit not found")
        last = before[-1]
        if last.text == text and last.params.get("reply_markup") == params.get("reply_markup"):
            return _error(400, "Bad Request: message is not modified: specified new message"
                          " content and reply markup are exactly the same")  # fmt: skip
        return self._check_text(text, params) or await self._record("editMessageText", params, text)

    async def _api_editMessageReplyMarkup(self, params: dict[str, Any]) -> web.Response:
        return await self._record("editMessageReplyMarkup", params, "")

    async def _api_answerCallbackQuery(self, params: dict[str, Any]) -> web.Response:
        self.callback_answers.append(params)
        return _ok(True)

    async def _api_setMyCommands(self, params: dict[str, Any]) -> web.Response:
        self.commands = list(params.get("commands") or [])
        return _ok(True)

    async def _api_deleteWebhook(self, params: dict[str, Any]) -> web.Response:
        self.webhook = {}
        return _ok(True)

    async def _api_setWebhook(self, params: dict[str, Any]) -> web.Response:
        self.webhook = {"url": params["url"], "secret_token": params.get("secret_token")}
        return _ok(True)

    async def _api_getWebhookInfo(self, params: dict[str, Any]) -> web.Response:
        return _ok({"url": self.webhook.get("url", ""), "has_custom_certificate": False,
                    "pending_update_count": len(self.updates)})  # fmt: skip

    async def _api_getFile(self, params: dict[str, Any]) -> web.Response:
        file_id = str(params["file_id"])
        return _ok({"file_id": file_id, "file_unique_id": file_id[-8:], "file_size": 13,
                    "file_path": f"photos/{file_id}.jpg"})  # fmt: skip


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result})


def _error(status: int, description: str, parameters: dict[str, Any] | None = None) -> web.Response:
    body: dict[str, Any] = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return web.json_response(body, status=status)
