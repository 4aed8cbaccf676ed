"""Telegram updates in, core `Inbound`s out; outbox payloads in, Bot API calls out."""

from __future__ import annotations

import warnings
from collections.abc import Awaitable
from datetime import datetime, timedelta
from typing import Any

from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    Update,
)
from telegram.constants import ChatType, ParseMode
from telegram.error import BadRequest, Forbidden, RetryAfter, TelegramError

from bot.errors import PermanentSendError, TransientSendError
from bot.messages import Inbound, InboundKind
from bot.texts import OFFICER_COMMANDS
from handlers.telegram.html import split_html

CHANNEL = "telegram"
MAX_TEXT = 4096
_NO_PREVIEW = LinkPreviewOptions(is_disabled=True)
_OWN_FILES = ("telegram:", "telegram-doc:")  # attachments Telegram can resend by file id


def to_inbound(update: Update, now: datetime) -> Inbound:
    """Parse an update into what the core understands; anything else becomes IGNORED."""
    user = update.effective_user
    chat = update.effective_chat
    base = {
        "channel": CHANNEL,
        "event_key": str(update.update_id),
        "user_key": str(user.id) if user else "",
        "chat_id": str(chat.id) if chat else "",
        "received_at": now,
    }
    if user is None or chat is None or user.is_bot:
        return Inbound(kind=InboundKind.IGNORED, **base)
    if chat.type != ChatType.PRIVATE:
        return _group_inbound(update, base)
    if update.callback_query is not None:
        return Inbound(kind=InboundKind.CHOICE, choice=update.callback_query.data or "", **base)
    message = update.message
    if message is None:  # edited messages, reactions, member updates: nothing to answer
        return Inbound(kind=InboundKind.IGNORED, **base)
    if message.photo:
        return Inbound(
            kind=InboundKind.PHOTO,
            text=message.caption or "",
            photo_ref=f"telegram:{message.photo[-1].file_id}",
            **base,
        )
    if message.document is not None:
        return Inbound(
            kind=InboundKind.FILE,
            text=message.caption or "",
            photo_ref=f"telegram-doc:{message.document.file_id}",
            **base,
        )
    if message.text is not None:
        text = message.text
        if text.startswith("/"):
            head, _, args = text[1:].partition(" ")
            name = head.split("@", 1)[0].lower()
            return Inbound(kind=InboundKind.COMMAND, command=name, text=args, **base)
        return Inbound(kind=InboundKind.TEXT, text=text, **base)
    return Inbound(kind=InboundKind.UNSUPPORTED, **base)


def retry_seconds(err: RetryAfter) -> float:
    """The wait Telegram asked for (PTB 22 gives int or timedelta and warns on int access)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wait = err.retry_after
    return wait.total_seconds() if isinstance(wait, timedelta) else float(wait)


def _group_inbound(update: Update, base: dict) -> Inbound:
    """In a group (the Front's working group) only officers' buttons and commands count;
    residents' conversations happen in private chats."""
    base = {**base, "group": True}
    query = update.callback_query
    if query is not None and (query.data or "").startswith(("m:", "q:", "r:", "x:")):
        return Inbound(kind=InboundKind.CHOICE, choice=query.data or "", **base)
    text = update.message.text if update.message else None
    if text and text.startswith("/"):
        head, _, args = text[1:].partition(" ")
        name = head.split("@", 1)[0].lower()
        if name in OFFICER_COMMANDS:
            return Inbound(kind=InboundKind.COMMAND, command=name, text=args, **base)
    return Inbound(kind=InboundKind.IGNORED, **base)


def keyboard(choices: list[list[str]]) -> InlineKeyboardMarkup | None:
    if not choices:
        return None
    buttons = [InlineKeyboardButton(label, callback_data=value) for label, value in choices]
    per_row = 2 if all(len(label) <= 18 for label, _ in choices) else 1
    rows = [buttons[i : i + per_row] for i in range(0, len(buttons), per_row)]
    return InlineKeyboardMarkup(rows)


class TelegramTransport:
    """Delivers outbox payloads with PTB; maps Telegram errors to retry or give up."""

    def __init__(self, bot: Bot) -> None:
        self.bot = bot

    async def deliver(self, chat_id: str, payload: dict[str, Any]) -> str | None:
        """Send the payload: a text over Telegram's limit (counted as the reader sees it) as
        several messages split between paragraphs, the buttons under the last one."""
        parts = split_html(payload["text"], MAX_TEXT)
        files = [f for f in payload.get("files") or [] if f.startswith(_OWN_FILES)]
        remote = None
        for i, part in enumerate(parts):
            last = i == len(parts) - 1 and not files
            remote = await self._send(chat_id, part, payload.get("choices") if last else None)
        for i, ref in enumerate(files):  # attachments by file id, the buttons under the last
            last = i == len(files) - 1
            remote = await self._send_file(chat_id, ref, payload.get("choices") if last else None)
        return remote

    async def edit(self, chat_id: str, remote_id: str, payload: dict[str, Any]) -> None:
        """Show `payload` in a message sent before (an officer's card that changed)."""
        text = split_html(payload["text"], MAX_TEXT)[0]
        try:
            await _mapped(self.bot.edit_message_text(
                chat_id=int(chat_id), message_id=int(remote_id), text=text,
                parse_mode=ParseMode.HTML, reply_markup=keyboard(payload.get("choices") or []),
                link_preview_options=_NO_PREVIEW,
            ))  # fmt: skip
        except PermanentSendError as err:
            if "message is not modified" in str(err):
                return  # it already shows this
            raise PermanentSendError(str(err), unreachable=False) from err

    async def _send_file(self, chat_id: str, ref: str, choices: list[list[str]] | None) -> str:
        kind, _, file_id = ref.partition(":")
        send = self.bot.send_document if kind == "telegram-doc" else self.bot.send_photo
        field = "document" if kind == "telegram-doc" else "photo"
        return await _mapped(send(chat_id=int(chat_id), reply_markup=keyboard(choices or []),
                                  **{field: file_id}))  # fmt: skip

    async def _send(self, chat_id: str, text: str, choices: list[list[str]] | None) -> str:
        return await _mapped(self.bot.send_message(
            chat_id=int(chat_id),
            text=text,
            parse_mode=ParseMode.HTML,
            reply_markup=keyboard(choices or []),
            link_preview_options=_NO_PREVIEW,
        ))  # fmt: skip


async def _mapped(call: Awaitable[Message]) -> str:
    """Run one Bot API send; Telegram's errors become retry or give up."""
    try:
        message = await call
    except RetryAfter as err:
        raise TransientSendError(str(err), retry_after=retry_seconds(err)) from err
    except Forbidden as err:  # blocked by the user, or the account is deleted
        raise PermanentSendError(f"Forbidden: {err}", unreachable=True) from err
    except BadRequest as err:
        gone = "chat not found" in str(err).lower()
        raise PermanentSendError(f"BadRequest: {err}", unreachable=gone) from err
    except TelegramError as err:  # NetworkError (TimedOut too) and the rest: try again later
        raise TransientSendError(f"{type(err).__name__}: {err}") from err
    return str(message.message_id)
