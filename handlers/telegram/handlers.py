"""The PTB handler functions: parse the update, call the core once, deliver the replies."""

from __future__ import annotations

import json
import logging
from typing import Protocol

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot.clock import Clock
from bot.conversation import Conversation
from bot.outbox import OutboxSender
from handlers.telegram.convert import to_inbound

log = logging.getLogger(__name__)


class Intake(Protocol):
    """What the handlers need of the channel that registered them (in `bot_data["channel"]`);
    the channel imports this module, never the other way round."""

    clock: Clock
    conversation: Conversation
    sender: OutboxSender

    async def quarantine(self, event_key: str, raw: str, err: BaseException) -> None: ...


def _channel(context: ContextTypes.DEFAULT_TYPE) -> Intake:
    return context.application.bot_data["channel"]


async def _process(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    channel = _channel(context)
    try:
        inbound = to_inbound(update, channel.clock.now())
    except Exception as err:  # a shape we do not understand: keep it aside, never replay it
        raw = json.dumps(update.to_dict(), ensure_ascii=False, default=str)
        await channel.quarantine(str(update.update_id), raw, err)
        return
    outgoing = await channel.conversation.handle(inbound)
    await channel.sender.deliver(outgoing)


async def on_message(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Text, photos, commands, stickers and the rest of what a resident sends."""
    await _process(update, context)


async def on_callback(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button press: handle it, then stop the button's spinner and show what was chosen."""
    query = update.callback_query
    assert query is not None
    await _process(update, context)
    try:
        await query.answer()
        # Answers to a step (consent, commune, village...) are one-off: remove their buttons.
        one_off = not (query.data or "").startswith(("menu:", "edit:", "withdraw:"))
        if one_off and query.message is not None:
            await query.edit_message_reply_markup(reply_markup=None)
    except TelegramError as err:  # cosmetic only: the choice itself is already handled
        log.debug("could not acknowledge callback %s: %s", query.id, err)


async def on_other(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Every other update is marked handled, so it is not replayed after a restart."""
    await _process(update, context)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    log.error("error while handling an update", exc_info=context.error)
