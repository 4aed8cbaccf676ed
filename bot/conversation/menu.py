"""A registered resident at rest: the menu, free text and photos, buttons of any message, and
the commands that start, help, cancel and erase."""

from __future__ import annotations

from bot import linking as accounts
from bot import services, sessions, texts
from bot import validation as validate
from bot.conversation import opinions, registration, status
from bot.conversation.turn import (
    CAPTION,
    CONFIRM_DELETE,
    GLOBAL_CHOICES,
    IDLE,
    LINK_STEPS,
    NEW,
    REGISTRATION_STEPS,
    Turn,
    menu,
)
from bot.messages import Choice, InboundKind, Reply
from bot.texts import esc
from nlp.normalize import clean_text


def cmd_start(turn: Turn) -> list[Reply]:
    if turn.resident is not None:
        turn.state.step, turn.state.data = IDLE, {}
        return [
            Reply(texts.WELCOME_BACK.format(name=esc(turn.resident.full_name))),
            menu(),
        ]
    return registration.ask_consent(turn)


def cmd_help(turn: Turn) -> list[Reply]:
    if turn.resident is None:
        return [Reply(texts.HELP), Reply(texts.NOT_REGISTERED)]
    return [Reply(texts.HELP, menu().choices)]


def cmd_cancel(turn: Turn) -> list[Reply]:
    if turn.resident is None:
        if turn.state.step in REGISTRATION_STEPS:
            turn.state.step, turn.state.data = NEW, {}
            return [Reply(texts.REGISTRATION_CANCELLED)]
        if turn.state.step in LINK_STEPS:
            turn.state.step, turn.state.data = NEW, {}
            return [Reply(texts.LINK_CANCELLED)]
        return [Reply(texts.NOTHING_TO_CANCEL)]
    if turn.state.step == IDLE:
        return [Reply(texts.NOTHING_TO_CANCEL)]
    turn.state.step, turn.state.data = IDLE, {}
    return [Reply(texts.CANCELLED)]


def cmd_delete_me(turn: Turn) -> list[Reply]:
    if turn.resident is None:
        turn.state.step, turn.state.data = NEW, {}
        turn.tx.redact_channel_data(
            turn.inbound.channel, turn.inbound.user_key, turn.inbound.chat_id
        )
        turn.erased = True
        return [Reply(texts.DELETED)]
    turn.state.step, turn.state.data = CONFIRM_DELETE, {}
    return [_ask_delete()]


def _ask_delete(hint: bool = False) -> Reply:
    return Reply(
        texts.CONFIRM_DELETE + ("\n\n" + texts.CONFIRM_HINT if hint else ""),
        (Choice(texts.DELETE_YES, "delete:yes"), Choice(texts.KEEP, "delete:no")),
    )


def step_confirm_delete(turn: Turn) -> list[Reply]:
    assert turn.resident is not None and turn.resident.id is not None
    choice = turn.inbound.choice or ""
    if turn.inbound.kind is InboundKind.TEXT:
        typed = validate.yes_no(turn.inbound.text)
        if typed is None:
            return [_ask_delete(hint=True)]
        choice = "delete:yes" if typed else "delete:no"
    if choice == "delete:yes":
        services.erase_resident(turn.tx, turn.resident.id, turn.now)
        turn.erased = True
        turn.state.step, turn.state.data = NEW, {}
        return [Reply(texts.DELETED)]
    turn.state.step, turn.state.data = IDLE, {}
    if choice.startswith(GLOBAL_CHOICES):
        return global_choice(turn)
    return [Reply(texts.DELETE_KEPT)]


def step_idle(turn: Turn) -> list[Reply]:
    ib = turn.inbound
    if ib.kind is InboundKind.TEXT:
        rated = status.typed_rating(turn)
        if rated is not None:
            return rated
        return opinions.new_opinion(turn, ib.text, None)
    if ib.kind is InboundKind.PHOTO:
        if clean_text(ib.text):
            return opinions.new_opinion(turn, ib.text, ib.photo_ref)
        turn.state.step, turn.state.data = CAPTION, {"photo": ib.photo_ref}
        return [Reply(texts.PHOTO_NEEDS_CAPTION)]
    if ib.kind is InboundKind.CHOICE:
        return global_choice(turn)
    return [Reply(texts.UNSUPPORTED)]


def global_choice(turn: Turn) -> list[Reply]:
    value = turn.inbound.choice or ""
    action, _, arg = value.partition(":")
    if value == "menu:send":
        return [Reply(texts.ASK_OPINION)]
    if value == "menu:my":
        return status.cmd_my(turn)
    if value == "menu:session":
        return status.cmd_session(turn)
    if action in ("edit", "withdraw"):
        return opinions.start_change(turn, action, arg)
    if action == "sat":
        return status.satisfaction(turn, arg)
    if action == "speak":
        assert turn.resident is not None
        return [sessions.speak(turn.tx, turn.resident, turn.now, arg).reply]
    if action == "notify":
        assert turn.resident is not None and turn.resident.id is not None
        channels = accounts.set_announce(turn.tx, turn.resident.id, arg)
        if channels is None:
            return [Reply(texts.STALE_CHOICE)]
        return [Reply(texts.ANNOUNCE_SET.format(channels=esc(channels)))]
    return [Reply(texts.STALE_CHOICE)]
