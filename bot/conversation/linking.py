"""Linking this account to the same resident on another channel, and where announcements go."""

from __future__ import annotations

from bot import linking as accounts
from bot import texts
from bot import validation as validate
from bot.conversation.turn import IDLE, LINK_CODE, LINK_PHONE, NEW, Turn
from bot.errors import ValidationError
from bot.messages import Choice, InboundKind, Reply
from bot.texts import esc

LINK_CANCEL_CHOICE = (Choice(texts.LINK_CANCEL, "link:cancel"),)


def cmd_link(turn: Turn) -> list[Reply]:
    turn.state.step, turn.state.data = LINK_PHONE, {}
    return [Reply(texts.ASK_LINK_PHONE, LINK_CANCEL_CHOICE)]


def cmd_notify(turn: Turn) -> list[Reply]:
    assert turn.resident is not None and turn.resident.id is not None
    turn.state.step, turn.state.data = IDLE, {}
    choices = accounts.announce_choices(turn.tx, turn.resident.id)
    if not choices:
        return [Reply(texts.ANNOUNCE_ONE_CHANNEL)]
    now_to = texts.ANNOUNCE_NOW.format(
        channels=esc(accounts.announce_to(turn.tx, turn.resident.id))
    )
    return [Reply(now_to + "\n" + texts.ASK_ANNOUNCE, choices)]


def _left_link(turn: Turn) -> list[Reply] | None:
    """ "Hủy" pressed (or typed) during linking: back to where they were."""
    if turn.inbound.choice != "link:cancel":
        return None
    _leave_link(turn)
    return [Reply(texts.LINK_CANCELLED)]


def _leave_link(turn: Turn) -> None:
    turn.state.step = IDLE if turn.resident is not None else NEW
    turn.state.data = {}


def step_link_phone(turn: Turn) -> list[Reply]:
    ib = turn.inbound
    if (cancelled := _left_link(turn)) is not None:
        return cancelled
    if ib.kind is not InboundKind.TEXT:
        return [Reply(texts.ASK_LINK_PHONE, LINK_CANCEL_CHOICE)]
    try:
        phone = validate.phone(ib.text)
    except ValidationError as err:
        return [Reply(err.user_message, LINK_CANCEL_CHOICE)]
    sent = accounts.request(turn.tx, ib.channel, ib.user_key, phone, turn.resident, turn.now)
    turn.notify.extend(sent.notices)
    if sent.too_many and not sent.notices:
        _leave_link(turn)
        return [Reply(texts.LINK_TOO_MANY)]
    turn.state.step, turn.state.data = LINK_CODE, {}
    return [Reply(texts.LINK_CODE_SENT, LINK_CANCEL_CHOICE)]


def step_link_code(turn: Turn) -> list[Reply]:
    ib = turn.inbound
    if (cancelled := _left_link(turn)) is not None:
        return cancelled
    if ib.kind is not InboundKind.TEXT:
        return [Reply(texts.LINK_CODE_SENT, LINK_CANCEL_CHOICE)]
    outcome = accounts.confirm(
        turn.tx, ib.channel, ib.user_key, ib.chat_id, turn.resident, ib.text, turn.now
    )
    if outcome.resident is None:
        if not outcome.retry:
            _leave_link(turn)
            return [Reply(outcome.refusal)]
        return [Reply(outcome.refusal, LINK_CANCEL_CHOICE)]
    resident = outcome.resident
    assert resident.id is not None
    turn.state.step, turn.state.data = IDLE, {}
    channels = " và ".join(
        accounts.channel_name(c) for c in accounts.channels_of(turn.tx, resident.id)
    )
    linked = texts.LINKED.format(name=esc(resident.full_name), channels=esc(channels))
    return [
        Reply(linked),
        Reply(texts.ASK_ANNOUNCE, accounts.announce_choices(turn.tx, resident.id)),
    ]
