"""The conversation engine: one incoming message in, replies out, state in the database.

The engine and the services it calls are synchronous: pure Python and SQL, run as one unit
of work on the database's thread (`Store.run`). Only `Conversation.handle` is async.

It is the same for every channel. An adapter turns a channel's update into an `Inbound`,
stores the raw update, and calls `Conversation.handle`; the replies come back as outbox ids
the adapter delivers. One transaction covers the step, the business change, the replies and
the inbox row being marked handled, so a crash never half-handles a message.

The journeys are modules of step functions: `registration`, `opinions` (sending, editing,
withdrawing), `linking`, `status` (/my, the session, ratings), `menu` (at rest) and
`officers`. This module only routes a message to its step or command.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from datetime import datetime, timedelta

from bot import cards, delivery, moderation, texts
from bot.clock import Clock
from bot.conversation import linking, menu, officers, opinions, registration, status, typed
from bot.conversation.answer_steps import DRAFT, draft_code
from bot.conversation.turn import (
    CAPTION,
    CHOICE_STEPS,
    COMMAND_ALIASES,
    COMMUNE,
    CONFIRM_DELETE,
    CONFIRM_WITHDRAW,
    CONSENT,
    EDIT,
    FIRST_OFFER,
    GLOBAL_CHOICES,
    IDLE,
    LINK_CODE,
    LINK_PHONE,
    LINK_STEPS,
    NAME,
    NEW,
    ORGANISATION,
    PHONE,
    QUESTION_STEPS,
    RATE_OR_NEW,
    REGISTRATION_STEPS,
    UNSATISFIED,
    VILLAGE,
    Command,
    Step,
    Turn,
)
from bot.flood import FloodGuard, FloodVerdict
from bot.messages import Inbound, InboundKind, Reply
from bot.ports import ConversationState, OutboxMessage, Store, Tx
from bot.texts import esc
from nlp.screening import Screener

log = logging.getLogger(__name__)

COMMANDS: dict[str, Command] = {
    "start": menu.cmd_start,
    "help": menu.cmd_help,
    "cancel": menu.cmd_cancel,
    "delete_me": menu.cmd_delete_me,
    "session": status.cmd_session,
    "my": status.cmd_my,
    "speak": status.cmd_speak,
    "edit": opinions.cmd_edit,
    "withdraw": opinions.cmd_withdraw,
    "link": linking.cmd_link,
    "notify": linking.cmd_notify,
}
RESIDENTS_ONLY = frozenset({"session", "my", "edit", "withdraw", "speak", "notify"})
STEPS: dict[str, Step] = {
    NEW: registration.step_new,
    CONSENT: registration.step_consent,
    NAME: registration.step_name,
    COMMUNE: registration.step_commune,
    VILLAGE: registration.step_village,
    PHONE: registration.step_phone,
    ORGANISATION: registration.step_organisation,
    FIRST_OFFER: registration.step_first_offer,
    IDLE: menu.step_idle,
    CONFIRM_DELETE: menu.step_confirm_delete,
    CAPTION: opinions.step_caption,
    EDIT: opinions.step_edit,
    CONFIRM_WITHDRAW: opinions.step_confirm_withdraw,
    UNSATISFIED: status.step_unsatisfied,
    RATE_OR_NEW: status.step_rate_or_new,
    LINK_PHONE: linking.step_link_phone,
    LINK_CODE: linking.step_link_code,
    **dict.fromkeys(officers.OFFICER_STEPS, menu.step_idle),  # left by staff_turn already
}


class Conversation:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        screener: Screener,
        flood: FloodGuard | None = None,
        reply_lease: timedelta = timedelta(seconds=30),
    ) -> None:
        self.store = store
        self.reply_lease = reply_lease
        self.on_push: Callable[[], None] | None = None  # told when messages were queued
        self.worker_id: str | None = None  # owner of the replies' send leases
        self._erased: set[tuple[str, str]] = set()  # events that erased personal data
        self.clock = clock
        self.screener = screener
        self.flood = flood or FloodGuard()

    async def handle(self, inbound: Inbound) -> list[OutboxMessage]:
        """Handle one stored incoming message exactly once; return the replies to deliver.

        The whole turn is one unit of work on the database's thread: one round trip, and
        the event loop never waits in the middle of a transaction. The replies are already
        in the outbox, leased to the caller, who should deliver them at once
        (`OutboxSender.deliver`); if it cannot, the outbox loop will once the lease ends.
        """
        now = self.clock.now()
        pushed: list[int] = []
        try:
            outgoing = await self.store.run(lambda tx: self._handle(tx, inbound, now, pushed))
            if pushed and self.on_push is not None:
                self.on_push()
            if (inbound.channel, inbound.event_key) in self._erased:
                self._erased.discard((inbound.channel, inbound.event_key))
                await self.store.compact()  # no byte of the files keeps what was erased
            return outgoing
        except Exception:
            # A bug must not leave the resident unanswered, nor make the message replay forever
            # at every restart: answer politely and mark it handled (its raw text stays stored).
            log.exception("failed to handle %s event %r", inbound.channel, inbound.event_key)
            return await self.store.run(
                lambda tx: self._handle(tx, inbound, now, None, failed=True)
            )

    def _handle(
        self,
        tx: Tx,
        inbound: Inbound,
        now: datetime,
        pushed: list[int] | None = None,
        failed: bool = False,
    ) -> list[OutboxMessage]:
        if not tx.inbox_claim(inbound.channel, inbound.event_key, now):
            return []  # handled before: a redelivery
        notify: list[tuple[str, str, Reply]] = []
        changed: list[int] = []  # opinions whose cards in officers' chats must be redrawn
        if inbound.kind is InboundKind.IGNORED:
            verdict = FloodVerdict.QUIET
        elif officers.at_work(tx, inbound):
            verdict = FloodVerdict.ANSWER  # officers working the queue fast are not a flood
        else:
            verdict = self.flood.check(f"{inbound.channel}:{inbound.user_key}", now)
        quiet = verdict is not FloodVerdict.ANSWER
        replies = (
            [Reply(texts.INTERNAL_ERROR)] if failed
            else self._turn(tx, inbound, now, notify, changed, quiet)
        )
        if verdict is FloodVerdict.WARN:
            replies = [Reply(texts.FLOOD)]
        elif verdict is FloodVerdict.QUIET:
            replies = []
        outgoing = []
        fresh: list[int] = []
        for reply in replies:  # answers to the sender: leased to us, sent at once
            message_id = delivery.queue(tx, inbound.channel, inbound.chat_id, reply, now,
                                        source_event=inbound.event_key,
                                        lease_until=now + self.reply_lease,
                                        lease_owner=self.worker_id)  # fmt: skip
            fresh.append(message_id)
            outgoing.append(OutboxMessage(message_id, inbound.channel, inbound.chat_id,
                                          reply.payload(), "sending", 1))  # fmt: skip
        notify.extend(moderation.burst_cards(tx, now))  # bursts that have gone quiet
        for channel, chat_id, reply in notify:  # pushed to others: the rate-limited outbox loop
            fresh.append(delivery.queue(tx, channel, chat_id, reply, now,
                                        source_event=inbound.event_key))  # fmt: skip
        edited = cards.refresh(tx, changed, now, fresh) if changed else 0
        if pushed is not None and (notify or edited):
            pushed.append(len(notify) + edited)
        return outgoing

    def _turn(
        self,
        tx: Tx,
        inbound: Inbound,
        now: datetime,
        notify: list[tuple[str, str, Reply]],
        changed: list[int],
        quiet: bool = False,
    ) -> list[Reply]:
        if inbound.kind is InboundKind.IGNORED:
            return []
        state, resident = tx.person(inbound.channel, inbound.user_key)
        if resident is not None:  # writing again after blocking the bot: broadcasts resume
            tx.identity_reactivate(inbound.channel, inbound.user_key)
        if state is None:
            state = ConversationState(inbound.channel, inbound.user_key, NEW)
        before = (state.step, dict(state.data))  # steps assign new values, never mutate
        draft = draft_code(state)
        if inbound.kind is InboundKind.TEXT or (inbound.choice or "").startswith("ad:"):
            draft = None  # the draft's own step answers these, and says what became of it
        staff_reply = officers.staff_turn(tx, inbound, state, now, notify, changed)
        if draft and state.step != DRAFT:  # left the draft: say so
            note = Reply(texts.DRAFT_CLOSED.format(code=draft))
            staff_reply = [*(staff_reply or []), note] if staff_reply is not None else None
            if staff_reply is None:
                notify.append((inbound.channel, inbound.chat_id, note))
        elif draft and inbound.kind is InboundKind.COMMAND and staff_reply is not None:
            staff_reply = [*staff_reply, Reply(texts.DRAFT_STILL_OPEN.format(code=draft))]
        if staff_reply is not None:
            _save(tx, state, before, staff_reply, now, quiet)
            return staff_reply
        if resident is None and state.step not in REGISTRATION_STEPS | LINK_STEPS:
            officer_help = officers.officer_help(tx, inbound)
            if officer_help is not None:  # an officer is not a resident to be registered
                return officer_help
            state.step, state.data = NEW, {}
        elif resident is not None and state.step in REGISTRATION_STEPS | {NEW}:
            state.step, state.data = IDLE, {}
        understood = typed.numbered(tx, inbound)
        if understood is inbound:
            understood = typed.labelled(inbound, state.data.get("labels") or [],
                                        state.data.get("choices") or [],
                                        loose=state.step in CHOICE_STEPS)  # fmt: skip
        turn = Turn(tx, understood, state, resident, now, self.screener, notify,
                    changed=changed)

        if turn.inbound.kind is InboundKind.COMMAND:
            replies = _command(turn)
        elif turn.inbound.kind is InboundKind.CHOICE and not _choice_is_live(turn):
            replies = [Reply(texts.STALE_CHOICE)]
        else:
            replies = STEPS[state.step](turn)
            if replies is None:  # not the step's own message: as at rest
                state.step, state.data = IDLE, {}
                replies = menu.step_idle(turn)
        if turn.erased:
            self._erased.add((inbound.channel, inbound.event_key))
        replies = _explained(turn.inbound, before, state, replies)
        _save(tx, state, before, replies, now, quiet)
        return replies


def _command(turn: Turn) -> list[Reply]:
    name = turn.inbound.command or ""
    name = COMMAND_ALIASES.get(name, name)
    handler = COMMANDS.get(name)
    if handler is None:
        return [Reply(texts.UNKNOWN_COMMAND.format(command=esc("/" + name[:32])))]
    if turn.resident is None and name in RESIDENTS_ONLY:
        text = (
            texts.FINISH_REGISTRATION_FIRST
            if turn.state.step in REGISTRATION_STEPS
            else texts.NOT_REGISTERED
        )
        return [Reply(text)]
    return handler(turn)


def _choice_is_live(turn: Turn) -> bool:
    value = turn.inbound.choice or ""
    if value.startswith(GLOBAL_CHOICES):
        return turn.resident is not None
    return value in (turn.state.data.get("choices") or [])


def _explained(
    inbound: Inbound, before: tuple[str, dict], state: ConversationState, replies: list[Reply]
) -> list[Reply]:
    """A question asked again because the answer was not one of its choices says why, and
    how to answer without buttons."""
    if inbound.kind is InboundKind.CHOICE or not replies or state.step != before[0]:
        return replies
    last = replies[-1]
    values = [c.value for c in last.choices]
    if len(values) < 2 or values != (before[1].get("choices") or []):
        return replies
    if any(hint in r.text for r in replies for hint in (texts.CONFIRM_HINT, texts.CONSENT_HINT)):
        return replies
    example = re.sub(r"^\W+", "", last.choices[0].label).strip() or "1"
    hint = texts.CHOICE_EXPECTED.format(count=len(values), example=esc(example))
    return [*replies[:-1], Reply(last.text + "\n\n" + hint, last.choices, last.files)]


def _save(
    tx: Tx,
    state: ConversationState,
    before: tuple,
    replies: list[Reply],
    now: datetime,
    quiet: bool = False,
) -> None:
    if quiet:  # the replies will not be sent: arm no question the person never saw
        replies = []
        if state.step in QUESTION_STEPS and state.step != before[0]:
            state.step, state.data = before[0], dict(before[1])
    offered = [c for r in replies for c in r.choices]
    if offered:
        state.data["choices"] = [c.value for c in offered]
        state.data["labels"] = [c.label for c in offered]
    else:
        state.data.pop("choices", None)
        state.data.pop("labels", None)
    if state.step == NEW and not state.data:
        if before[0] != NEW:
            tx.conversation_delete(state.channel, state.user_key)
    elif (state.step, state.data) != before:
        tx.conversation_put(state, now)

