"""Officers in the same chat engine: their buttons, commands and multi-step dialogues.

The Front's queue actions are in `bot.moderation`, answers in `bot.answers`; this module
routes an officer's message to them, and to the session and answer dialogues."""

from __future__ import annotations

import logging
from datetime import datetime

from bot import answers, moderation, staff, texts
from bot.conversation import answer_steps, session_steps
from bot.conversation.turn import COMMAND_ALIASES, IDLE
from bot.errors import NotFound
from bot.messages import Inbound, InboundKind, Reply
from bot.model import ROLE_NAMES, AnswerMode, Opinion, OpinionState, Role, normalise_ref_code
from bot.ports import ConversationState, Tx
from bot.texts import esc
from nlp.normalize import clean_text

log = logging.getLogger(__name__)

OFFICER_STEPS = (
    frozenset({"record_who", "record_text", "record_answer"})
    | session_steps.STEPS
    | answer_steps.STEPS
)
STAFF_CHOICES = ("m:", "q:", "d:", "r:", "s:", "ad:", "x:")



def staff_turn(
    tx: Tx,
    inbound: Inbound,
    state: ConversationState,
    now: datetime,
    notify: list[tuple[str, str, Reply]],
    changed: list[int],
) -> list[Reply] | None:
    """Officers' buttons, commands and steps; None when the message is not one of them."""
    choice = inbound.choice or ""
    command = COMMAND_ALIASES.get(inbound.command or "", inbound.command or "")
    is_staff_choice = inbound.kind is InboundKind.CHOICE and choice.startswith(STAFF_CHOICES)
    is_staff_command = inbound.kind is InboundKind.COMMAND and command in texts.OFFICER_COMMANDS
    in_staff_step = state.step in OFFICER_STEPS and (
        inbound.kind is InboundKind.TEXT
        or (inbound.kind is InboundKind.CHOICE and choice.startswith(("s:", "ad:")))
        or (state.step == answer_steps.DRAFT  # a scanned letter joins the answer
            and inbound.kind in (InboundKind.PHOTO, InboundKind.FILE))
    )
    if not (is_staff_choice or is_staff_command or in_staff_step):
        if state.step in OFFICER_STEPS:  # any other message leaves the officer's step
            state.step, state.data = IDLE, {}
            if command == "cancel":
                return [Reply(texts.CANCELLED)]
        return None
    who = moderation.officer(tx, inbound.channel, inbound.user_key)
    if inbound.group and not _front_group_of(tx, who, inbound):
        log.warning("refused: officer command %r in group %r", command or choice,
                    inbound.chat_id)  # fmt: skip
        return [Reply(texts.OFFICER_GROUP_ONLY)]
    if command == "join":
        if not inbound.text.strip():
            return [Reply(texts.JOIN_USAGE)]
        try:
            role = staff.join(tx, inbound.channel, inbound.user_key, inbound.text, "", now)
        except NotFound:
            log.warning("invalid invitation code from %s:%r", inbound.channel, inbound.user_key)
            return [Reply(texts.JOIN_INVALID)]
        commune = tx.commune_get(role.commune_code) if role.commune_code else None
        where = f" tại {esc(commune.name)}" if commune else ""
        return [Reply(texts.JOINED.format(role=esc(ROLE_NAMES[role.role]), where=where))]
    if not who.roles:
        log.warning("refused: %s:%r is not staff (%r)", inbound.channel, inbound.user_key,
                    choice or command)  # fmt: skip
        return [Reply(texts.NOT_ALLOWED)]
    if in_staff_step and state.step in session_steps.STEPS:
        return session_steps.step(tx, who, state, clean_text(inbound.text), choice, now)
    if in_staff_step and state.step in answer_steps.STEPS:
        said, notices = answer_steps.step(tx, who, state, clean_text(inbound.text),
                                             choice, now, inbound.photo_ref)  # fmt: skip
        notify.extend(notices)
        return said
    if in_staff_step:
        return _officer_step(tx, who, state, inbound.text, now, notify)
    if command in session_steps.COMMANDS:
        return session_steps.command(tx, who, state, command, inbound.text, now)
    if choice.startswith(("s:", "ad:")):  # a dialogue's button, after it ended
        return [Reply(texts.STALE_CHOICE)]
    if choice.startswith("m:"):
        outcome = moderation.act(tx, who, choice, now)
        notify.extend(outcome.notify)
        changed.extend(outcome.changed)
        return outcome.replies
    if choice.startswith("d:") or command == "answer":
        return _start_answer(tx, who, state, choice, inbound.text, now)
    if choice.startswith("x:"):
        said, notices = answers.decide_extension(tx, who.roles, who.actor, choice, now)
        notify.extend(notices)
        return [Reply(said)]
    if choice.startswith("r:"):
        _, answer_id, verdict = [*choice.split(":"), "", ""][:3]
        if not answer_id.isdigit():
            return [Reply(texts.STALE_CHOICE)]
        if verdict == "back":  # returned with a reason the department reads
            answer = tx.answer_get(int(answer_id))
            opinion = tx.opinion_get(answer.opinion_id) if answer else None
            if answer is None or opinion is None or answer.status != "pending_review":
                return [Reply(texts.STALE_CHOICE)]
            return [answer_steps.ask_return_reason(state, answer.id or 0,
                                                      opinion.ref_code)]  # fmt: skip
        said, notices = answers.review(tx, who.roles, who.actor, int(answer_id),
                                       verdict == "ok", now)  # fmt: skip
        notify.extend(notices)
        return [Reply(said)]
    if command == "overdue":
        return [Reply(answers.overdue_list(tx, who.roles, now))]
    if command == "record":
        if not any(r.role in (Role.OFFICE, Role.FRONT, Role.ADMIN) for r in who.roles):
            return [Reply(texts.NOT_ALLOWED)]
        state.step, state.data = "record_who", {}
        return [Reply(texts.ASK_RECORD_WHO)]
    if choice.startswith("q:"):
        _, page, args = [*choice.split(":", 2), "", ""][:3]
        return moderation.queue(tx, who, args, int(page) if page.isdigit() else 0)
    if command == "queue":
        return moderation.queue(tx, who, inbound.text)
    if command == "stats":
        return moderation.stats(tx, who, now)
    return moderation.history(tx, who, inbound.text)


def officer_help(tx: Tx, inbound: Inbound) -> list[Reply] | None:
    """Free text or /help from an officer who is not registered as a resident."""
    free = inbound.kind in (InboundKind.TEXT, InboundKind.PHOTO, InboundKind.UNSUPPORTED)
    asks = inbound.kind is InboundKind.COMMAND and (
        COMMAND_ALIASES.get(inbound.command or "", inbound.command) == "help"
    )
    if not (free or asks):
        return None
    roles = tx.staff_roles(inbound.channel, inbound.user_key)
    if not roles:
        return None
    names = ", ".join(sorted({ROLE_NAMES[r.role] for r in roles}))
    return [Reply(texts.OFFICER_HELP.format(roles=esc(names)))]


def at_work(tx: Tx, inbound: Inbound) -> bool:
    staff_choice = (inbound.choice or "").startswith(STAFF_CHOICES)
    staff_command = (inbound.command or "") in texts.OFFICER_COMMANDS
    if not (staff_choice or staff_command):
        return False
    return bool(tx.staff_roles(inbound.channel, inbound.user_key))


def _start_answer(
    tx: Tx, who: moderation.Officer, state: ConversationState, choice: str, args: str,
    now: datetime,
) -> list[Reply]:
    """`/answer CODE` shows the card; a mode button asks for the text of the answer."""
    if choice.startswith("d:"):
        _, opinion_id, mode = [*choice.split(":"), "", ""][:3]
        opinion = tx.opinion_get(int(opinion_id)) if opinion_id.isdigit() else None
    else:
        code = normalise_ref_code(args)
        opinion, mode = (tx.opinion_by_code(code) if code else None), ""
    if not choice.startswith("d:") and not args.strip():
        return [Reply(texts.ANSWER_USAGE)]
    if opinion is None:
        return [Reply(texts.ANSWER_UNKNOWN.format(code=esc(args.strip()[:20])))]
    if not answers.may_answer(who.roles, opinion):
        return [Reply(texts.NOT_ALLOWED)]
    if opinion.state is not OpinionState.ASSIGNED:
        return [_not_answerable(opinion)]
    if not mode:
        return [answers.department_card(tx, opinion)]
    if mode == "extend":
        return [answer_steps.start_extension(state, opinion, now)]
    try:
        answer_mode = AnswerMode(mode)
    except ValueError:
        return [Reply(texts.STALE_CHOICE)]
    assert opinion.id is not None
    return [answer_steps.start(state, opinion.id, opinion.ref_code, answer_mode, now)]


def _not_answerable(opinion: Opinion | None) -> Reply:
    """The true reason an opinion cannot be answered (now)."""
    if opinion is None:
        return Reply(texts.STALE_CHOICE)
    if opinion.state in (OpinionState.PENDING_REVIEW, OpinionState.APPROVED):
        return Reply(texts.ANSWER_NOT_ASSIGNED.format(code=opinion.ref_code))
    return Reply(texts.ANSWER_NOT_OPEN.format(
        code=opinion.ref_code, state=esc(texts.STATE_NAMES[opinion.state])))  # fmt: skip


def _officer_step(
    tx: Tx,
    who: moderation.Officer,
    state: ConversationState,
    raw: str,
    now: datetime,
    notify: list[tuple[str, str, Reply]],
) -> list[Reply]:
    text = clean_text(raw)
    if not text:
        return [Reply(texts.OPINION_EMPTY)]
    if state.step == "record_who":
        state.step, state.data = "record_text", {"who": text[:80]}
        return [Reply(texts.ASK_RECORD_TEXT)]
    if state.step == "record_text":
        state.step, state.data = "record_answer", {**state.data, "text": text}
        return [Reply(texts.ASK_RECORD_ANSWER)]
    communes = [r.commune_code for r in who.roles if r.commune_code is not None]
    if not communes:
        state.step, state.data = IDLE, {}
        return [Reply(texts.NOT_ALLOWED)]
    opinion = answers.record_meeting_opinion(
        tx, who.actor, communes[0], state.data["who"], state.data["text"], text, now
    )
    state.step, state.data = IDLE, {}
    return [Reply(texts.RECORDED.format(code=opinion.ref_code))]


def _front_group_of(tx: Tx, who: moderation.Officer, inbound: Inbound) -> bool:
    """Is this group chat the registered Front group of a commune where the officer works?"""
    here = f"{inbound.channel}:{inbound.chat_id}"
    admin = any(r.role is Role.ADMIN for r in who.roles)
    mine = {r.commune_code for r in who.roles}
    return any(
        c.front_chat == here and (admin or c.code in mine) for c in tx.communes_list()
    )
