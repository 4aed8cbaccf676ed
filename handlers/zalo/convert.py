"""Zalo updates in, core `Inbound`s out; outbox payloads in, Zalo messages out."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Any

from bot.errors import PermanentSendError, TransientSendError
from bot.messages import Inbound, InboundKind
from handlers.plain import numbered, split
from handlers.zalo.client import ZaloApi, ZaloApiError, ZaloNetworkError

CHANNEL = "zalo"
MAX_TEXT = 2000  # characters per message (Zalo Bot API, sendMessage)
TEXT, IMAGE = "message.text.received", "message.image.received"


def event_of(body: Any) -> dict[str, Any] | None:
    """The update inside a webhook body or a getUpdates result: `{ok, result: {...}}` as the
    documentation shows it, or the bare `{event_name, message}`. None if it is neither."""
    if isinstance(body, dict) and isinstance(body.get("result"), dict):
        body = body["result"]
    if not isinstance(body, dict) or not isinstance(body.get("event_name"), str):
        return None
    message = body.get("message")
    if message is not None and not isinstance(message, dict):
        return None
    return body


def event_key(event: dict[str, Any], raw: str) -> str:
    """The idempotency key: Zalo's message id, or (without one) a digest of the update."""
    message = event.get("message") or {}
    message_id = message.get("message_id")
    if isinstance(message_id, str | int) and str(message_id):
        return f"m:{message_id}"
    return "h:" + hashlib.sha256(raw.encode()).hexdigest()[:32]


def _id(value: Any) -> str:
    return str(value.get("id") or "") if isinstance(value, dict) else ""


def user_key_of(event: dict[str, Any]) -> str:
    return _id((event.get("message") or {}).get("from"))


def to_inbound(event: dict[str, Any], key: str, now: datetime) -> Inbound:
    """Parse an update into what the core understands; anything else becomes IGNORED."""
    message = event.get("message") or {}
    sender, chat = message.get("from") or {}, message.get("chat") or {}
    base = {
        "channel": CHANNEL,
        "event_key": key,
        "user_key": _id(sender),
        "chat_id": _id(chat),
        "received_at": now,
    }
    if not base["user_key"] or not base["chat_id"] or sender.get("is_bot"):
        return Inbound(kind=InboundKind.IGNORED, **base)
    if str(chat.get("chat_type") or "PRIVATE").upper() != "PRIVATE":
        return Inbound(kind=InboundKind.IGNORED, **base)  # officers work on Telegram for now
    name = event["event_name"]
    if name == TEXT and isinstance(message.get("text"), str):
        text = message["text"]
        if text.startswith("/"):
            head, _, args = text[1:].partition(" ")
            return Inbound(kind=InboundKind.COMMAND, command=head.lower(), text=args, **base)
        return Inbound(kind=InboundKind.TEXT, text=text, **base)
    if name == IMAGE:
        photo = message.get("photo") or message.get("url") or ""
        caption = message.get("caption")
        return Inbound(
            kind=InboundKind.PHOTO,
            text=caption if isinstance(caption, str) else "",
            photo_ref=f"zalo:{photo}"[:1000],
            **base,
        )
    return Inbound(kind=InboundKind.UNSUPPORTED, **base)  # stickers, voice, hidden content


class ZaloTransport:
    """Sends outbox payloads as plain text with numbered choices; maps Zalo's errors."""

    def __init__(self, api: ZaloApi) -> None:
        self.api = api

    async def deliver(self, chat_id: str, payload: dict[str, Any]) -> str | None:
        remote_id = None
        for part in split(numbered(payload), MAX_TEXT):
            try:
                remote_id = await self.api.send_message(chat_id, part)
            except ZaloNetworkError as err:
                raise TransientSendError(str(err)) from err
            except ZaloApiError as err:
                raise _send_error(err) from err
        return remote_id


def _send_error(err: ZaloApiError) -> TransientSendError | PermanentSendError:
    """Too many requests, a timeout, Zalo's own trouble or a token problem (fixable without
    losing the message): retry. The person unknown or the bot blocked: give up on them."""
    if err.code in (401, 408, 429) or err.code >= 500:
        return TransientSendError(f"Zalo {err}")
    if err.code in (403, 404):
        return PermanentSendError(f"Zalo {err}", unreachable=True)
    gone = any(word in err.description.lower() for word in ("not found", "blocked", "invalid user"))
    return PermanentSendError(f"Zalo {err}", unreachable=gone)
