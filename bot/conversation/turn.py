"""What every journey shares: the turn, the steps' names, and the replies several journeys give."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from bot import texts
from bot.errors import CutoffPassed, InvalidTransition, NotFound
from bot.messages import Choice, Inbound, Reply
from bot.model import OpinionState, Resident
from bot.ports import ConversationState, Tx
from bot.texts import esc
from nlp.screening import Screener

# The resident's steps; officers' steps live in `officers`, `session_steps`, `answer_steps`.
NEW, CONSENT, NAME, COMMUNE, VILLAGE, PHONE, ORGANISATION = (
    "new",
    "consent",
    "name",
    "commune",
    "village",
    "phone",
    "organisation",
)
IDLE, CAPTION, EDIT, CONFIRM_WITHDRAW, CONFIRM_DELETE, UNSATISFIED, FIRST_OFFER = (
    "idle",
    "caption",
    "edit",
    "confirm_withdraw",
    "confirm_delete",
    "unsatisfied",
    "first_offer",
)
RATE_OR_NEW = "rate_or_new"
# Linking this account to a resident registered on another channel: before or after registering.
LINK_PHONE, LINK_CODE = "link_phone", "link_code"

# Steps that wait for an answer to a question: armed only if the question was seen.
QUESTION_STEPS = frozenset({CONFIRM_WITHDRAW, CONFIRM_DELETE, FIRST_OFFER, RATE_OR_NEW})
REGISTRATION_STEPS = frozenset({CONSENT, NAME, COMMUNE, VILLAGE, PHONE, ORGANISATION})
LINK_STEPS = frozenset({LINK_PHONE, LINK_CODE})
# Steps whose only answers are their buttons: a typed label there may be loosely matched.
CHOICE_STEPS = frozenset({CONSENT, ORGANISATION, FIRST_OFFER, CONFIRM_WITHDRAW, CONFIRM_DELETE})

# Choices accepted whatever step the person is at (ownership is checked again).
GLOBAL_CHOICES = ("menu:", "edit:", "withdraw:", "sat:", "speak:", "notify:")

COMMAND_ALIASES = {
    "batdau": "start",
    "phien": "session",
    "kydoithoai": "session",
    "cuatoi": "my",
    "ykien": "my",
    "huongdan": "help",
    "trogiup": "help",
    "huy": "cancel",
    "xoadulieu": "delete_me",
    "sua": "edit",
    "hangcho": "queue",
    "thongke": "stats",
    "lichsu": "history",
    "rut": "withdraw",
    "phatbieu": "speak",
    "dangkyphatbieu": "speak",
    "kyhop": "sessions",
    "taophien": "newsession",
    "hoan": "postpone",
    "ketluan": "conclude",
    "lienket": "link",
    "thongbao": "notify",
    "kenh": "notify",
}


@dataclass
class Turn:
    """What one message does: the state, the person (if registered) and the transaction."""

    tx: Tx
    inbound: Inbound
    state: ConversationState
    resident: Resident | None
    now: datetime
    screener: Screener
    notify: list[tuple[str, str, Reply]] = field(default_factory=list)  # to other chats
    erased: bool = False  # personal data was erased: the engine compacts the database
    changed: list[int] = field(default_factory=list)  # opinions whose cards must be redrawn


# A step answers its message, or returns None when the message is not its own (a menu
# button, a button of an older message): the engine then handles it as at IDLE.
Step = Callable[[Turn], list[Reply] | None]
Command = Callable[[Turn], list[Reply]]


def preview(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return esc(flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…")


def menu() -> Reply:
    return Reply(
        texts.MENU_HINT,
        (
            Choice(texts.MENU_SEND, "menu:send"),
            Choice(texts.MENU_MY, "menu:my"),
            Choice(texts.MENU_SESSION, "menu:session"),
        ),
    )


def refusal(err: CutoffPassed | InvalidTransition | NotFound, code: str) -> Reply:
    if isinstance(err, CutoffPassed):
        return Reply(texts.CUTOFF_PASSED.format(code=esc(code)))
    if isinstance(err, InvalidTransition):
        state = texts.STATE_NAMES.get(OpinionState(err.current), err.current)
        return Reply(texts.NOT_EDITABLE.format(code=esc(code), state=esc(state)))
    return Reply(texts.NOT_YOUR_OPINION.format(code=esc(code)))
