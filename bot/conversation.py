"""The conversation engine: one incoming message in, replies out, state in the database.

The engine and the services it calls are synchronous: pure Python and SQL, run as one unit
of work on the database's thread (`Store.run`). Only `Conversation.handle` is async.

It is the same for every channel. An adapter turns a channel's update into an `Inbound`,
stores the raw update, and calls `Conversation.handle`; the replies come back as outbox ids
the adapter delivers. One transaction covers the step, the business change, the replies and
the inbox row being marked handled, so a crash never half-handles a message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from bot import (
    answer_dialogue,
    answers,
    linking,
    metrics,
    moderation,
    services,
    session_dialogue,
    sessions,
    staff,
    texts,
)
from bot import validation as validate
from bot.clock import Clock
from bot.communes import search as search_communes
from bot.errors import CutoffPassed, InvalidTransition, NotFound, ValidationError
from bot.flood import FloodGuard, FloodVerdict
from bot.messages import Choice, Inbound, InboundKind, Reply
from bot.model import (
    ORGANISATION_NAMES,
    ROLE_NAMES,
    AnswerMode,
    Opinion,
    OpinionState,
    Organisation,
    Resident,
    Role,
    normalise_ref_code,
)
from bot.texts import date_text, esc, when_text
from nlp.labels import KINDS
from nlp.normalize import clean_text, fold
from nlp.screening import Screener
from storage.repository import ConversationState, OutboxMessage, Store, Tx

log = logging.getLogger(__name__)

# Conversation steps.
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
# Steps that wait for an answer to a question: armed only if the question was seen.
QUESTION_STEPS = frozenset({CONFIRM_WITHDRAW, CONFIRM_DELETE, FIRST_OFFER, RATE_OR_NEW})
REGISTRATION_STEPS = frozenset({CONSENT, NAME, COMMUNE, VILLAGE, PHONE, ORGANISATION})
# Linking this account to a resident registered on another channel: before or after registering.
LINK_PHONE, LINK_CODE = "link_phone", "link_code"
LINK_STEPS = frozenset({LINK_PHONE, LINK_CODE})
LINK_CANCEL_CHOICE = (Choice(texts.LINK_CANCEL, "link:cancel"),)

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
MAX_VILLAGE_BUTTONS = 24
MY_LIMIT = 10
MY_BUTTONS = 5


def preview(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return esc(flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…")


@dataclass
class Turn:
    """What one message does: the state, the person (if registered) and the transaction."""

    tx: Tx
    inbound: Inbound
    state: ConversationState
    resident: Resident | None
    now: datetime
    notify: list[tuple[str, str, Reply]] = field(default_factory=list)  # to other chats


Handler = Callable[[Turn], list[Reply]]


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
        self._commands: dict[str, Handler] = {
            "start": self._cmd_start,
            "help": self._cmd_help,
            "cancel": self._cmd_cancel,
            "session": self._cmd_session,
            "my": self._cmd_my,
            "delete_me": self._cmd_delete_me,
            "edit": self._cmd_edit,
            "withdraw": self._cmd_withdraw,
            "speak": self._cmd_speak,
            "link": self._cmd_link,
            "notify": self._cmd_notify,
        }
        self._steps: dict[str, Handler] = {
            NEW: self._step_new,
            CONSENT: self._step_consent,
            NAME: self._step_name,
            COMMUNE: self._step_commune,
            VILLAGE: self._step_village,
            PHONE: self._step_phone,
            ORGANISATION: self._step_organisation,
            IDLE: self._step_idle,
            CAPTION: self._step_caption,
            EDIT: self._step_edit,
            CONFIRM_WITHDRAW: self._step_confirm_withdraw,
            CONFIRM_DELETE: self._step_confirm_delete,
            UNSATISFIED: self._step_unsatisfied,
            FIRST_OFFER: self._step_first_offer,
            RATE_OR_NEW: self._step_rate_or_new,
            LINK_PHONE: self._step_link_phone,
            LINK_CODE: self._step_link_code,
            **dict.fromkeys(OFFICER_STEPS, self._step_idle),  # left by _staff_turn already
        }

    # -- entry point ---------------------------------------------------------------------
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
        if inbound.kind is InboundKind.IGNORED:
            verdict = FloodVerdict.QUIET
        elif self._officer_at_work(tx, inbound):
            verdict = FloodVerdict.ANSWER  # officers working the queue fast are not a flood
        else:
            verdict = self.flood.check(f"{inbound.channel}:{inbound.user_key}", now)
        quiet = verdict is not FloodVerdict.ANSWER
        replies = (
            [Reply(texts.INTERNAL_ERROR)] if failed else self._turn(tx, inbound, now, notify, quiet)
        )
        if verdict is FloodVerdict.WARN:
            replies = [Reply(texts.FLOOD)]
        elif verdict is FloodVerdict.QUIET:
            replies = []
        outgoing = []
        for reply in replies:  # answers to the sender: leased to us, sent at once
            payload = reply.payload()
            message_id = tx.outbox_add(
                inbound.channel,
                inbound.chat_id,
                payload,
                now,
                source_event=inbound.event_key,
                lease_until=now + self.reply_lease,
                lease_owner=self.worker_id,
            )
            outgoing.append(
                OutboxMessage(message_id, inbound.channel, inbound.chat_id, payload, "sending", 1)
            )
        notify.extend(moderation.burst_cards(tx, now))  # bursts that have gone quiet
        for channel, chat_id, reply in notify:  # pushed to others: the rate-limited outbox loop
            message_id = tx.outbox_add(
                channel, chat_id, reply.payload(), now, source_event=inbound.event_key
            )
            if pushed is not None:
                pushed.append(message_id)
        return outgoing

    @staticmethod
    def _officer_at_work(tx: Tx, inbound: Inbound) -> bool:
        staff_choice = (inbound.choice or "").startswith(STAFF_CHOICES)
        staff_command = (inbound.command or "") in texts.OFFICER_COMMANDS
        if not (staff_choice or staff_command):
            return False
        return bool(tx.staff_roles(inbound.channel, inbound.user_key))

    def _turn(
        self,
        tx: Tx,
        inbound: Inbound,
        now: datetime,
        notify: list[tuple[str, str, Reply]],
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
        draft = answer_dialogue.draft_code(state)
        if inbound.kind is InboundKind.TEXT or (inbound.choice or "").startswith("ad:"):
            draft = None  # the draft's own step answers these, and says what became of it
        staff_reply = self._staff_turn(tx, inbound, state, now, notify)
        if draft and state.step != answer_dialogue.DRAFT:  # left the draft: say so
            note = Reply(texts.DRAFT_CLOSED.format(code=draft))
            staff_reply = [*(staff_reply or []), note] if staff_reply is not None else None
            if staff_reply is None:
                notify.append((inbound.channel, inbound.chat_id, note))
        elif draft and inbound.kind is InboundKind.COMMAND and staff_reply is not None:
            staff_reply = [*staff_reply, Reply(texts.DRAFT_STILL_OPEN.format(code=draft))]
        if staff_reply is not None:
            self._save(tx, state, before, staff_reply, now, quiet)
            return staff_reply
        if resident is None and state.step not in REGISTRATION_STEPS | LINK_STEPS:
            officer_help = self._officer_help(tx, inbound)
            if officer_help is not None:  # an officer is not a resident to be registered
                return officer_help
            state.step, state.data = NEW, {}
        elif resident is not None and state.step in REGISTRATION_STEPS | {NEW}:
            state.step, state.data = IDLE, {}
        turn = Turn(tx, self._numbered_choice(tx, inbound), state, resident, now, notify)

        if turn.inbound.kind is InboundKind.COMMAND:
            replies = self._command(turn)
        elif turn.inbound.kind is InboundKind.CHOICE and not self._choice_is_live(turn):
            replies = [Reply(texts.STALE_CHOICE)]
        else:
            replies = self._steps[state.step](turn)

        self._save(tx, state, before, replies, now, quiet)
        return replies

    @staticmethod
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
        offered = [c.value for r in replies for c in r.choices]
        if offered:
            state.data["choices"] = offered
        else:
            state.data.pop("choices", None)
        if state.step == NEW and not state.data:
            if before[0] != NEW:
                tx.conversation_delete(state.channel, state.user_key)
        elif (state.step, state.data) != before:
            tx.conversation_put(state, now)

    @staticmethod
    def _staff_turn(
        tx: Tx,
        inbound: Inbound,
        state: ConversationState,
        now: datetime,
        notify: list[tuple[str, str, Reply]],
    ) -> list[Reply] | None:
        """Officers' buttons, commands and steps; None when the message is not one of them."""
        choice = inbound.choice or ""
        command = COMMAND_ALIASES.get(inbound.command or "", inbound.command or "")
        is_staff_choice = inbound.kind is InboundKind.CHOICE and choice.startswith(STAFF_CHOICES)
        is_staff_command = inbound.kind is InboundKind.COMMAND and command in texts.OFFICER_COMMANDS
        in_staff_step = state.step in OFFICER_STEPS and (
            inbound.kind is InboundKind.TEXT
            or (inbound.kind is InboundKind.CHOICE and choice.startswith(("s:", "ad:")))
            or (state.step == answer_dialogue.DRAFT  # a scanned letter joins the answer
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
        if in_staff_step and state.step in session_dialogue.STEPS:
            return session_dialogue.step(tx, who, state, clean_text(inbound.text), choice, now)
        if in_staff_step and state.step in answer_dialogue.STEPS:
            said, notices = answer_dialogue.step(tx, who, state, clean_text(inbound.text),
                                                 choice, now, inbound.photo_ref)  # fmt: skip
            notify.extend(notices)
            return said
        if in_staff_step:
            return _officer_step(tx, who, state, inbound.text, now, notify)
        if command in session_dialogue.COMMANDS:
            return session_dialogue.command(tx, who, state, command, inbound.text, now)
        if choice.startswith(("s:", "ad:")):  # a dialogue's button, after it ended
            return [Reply(texts.STALE_CHOICE)]
        if choice.startswith("m:"):
            outcome = moderation.act(tx, who, choice, now)
            notify.extend(outcome.notify)
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
                return [answer_dialogue.ask_return_reason(state, answer.id or 0,
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

    @staticmethod
    def _officer_help(tx: Tx, inbound: Inbound) -> list[Reply] | None:
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

    @staticmethod
    def _numbered_choice(tx: Tx, inbound: Inbound) -> Inbound:
        """'2' typed after a list of choices means its second choice: on channels without
        buttons (Zalo, the console) and for anyone who prefers typing. The list is the one
        last sent to this chat, whether a reply, a notice or an announcement."""
        text = inbound.text.strip().rstrip(".)").strip()  # "2", "2." and "2)" alike
        if inbound.kind is not InboundKind.TEXT or not text.isdigit() or len(text) > 2:
            return inbound
        offered = tx.last_offered(inbound.channel, inbound.chat_id)
        if not 1 <= int(text) <= len(offered):
            return inbound
        return replace(inbound, kind=InboundKind.CHOICE, text="", choice=offered[int(text) - 1])

    @staticmethod
    def _choice_is_live(turn: Turn) -> bool:
        value = turn.inbound.choice or ""
        if value.startswith(GLOBAL_CHOICES):
            return turn.resident is not None
        return value in (turn.state.data.get("choices") or [])

    # -- commands ------------------------------------------------------------------------
    def _command(self, turn: Turn) -> list[Reply]:
        name = turn.inbound.command or ""
        name = COMMAND_ALIASES.get(name, name)
        handler = self._commands.get(name)
        if handler is None:
            return [Reply(texts.UNKNOWN_COMMAND.format(command=esc("/" + name[:32])))]
        if turn.resident is None and name in ("session", "my", "edit", "withdraw", "speak",
                                              "notify"):  # fmt: skip
            text = (
                texts.FINISH_REGISTRATION_FIRST
                if turn.state.step in REGISTRATION_STEPS
                else texts.NOT_REGISTERED
            )
            return [Reply(text)]
        return handler(turn)

    def _cmd_start(self, turn: Turn) -> list[Reply]:
        if turn.resident is not None:
            turn.state.step, turn.state.data = IDLE, {}
            return [
                Reply(texts.WELCOME_BACK.format(name=esc(turn.resident.full_name))),
                self._menu(),
            ]
        return self._ask_consent(turn)

    def _cmd_help(self, turn: Turn) -> list[Reply]:
        if turn.resident is None:
            return [Reply(texts.HELP), Reply(texts.NOT_REGISTERED)]
        return [Reply(texts.HELP, self._menu().choices)]

    def _cmd_cancel(self, turn: Turn) -> list[Reply]:
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

    def _cmd_session(self, turn: Turn) -> list[Reply]:
        assert turn.resident is not None
        commune = turn.tx.commune_get(turn.resident.commune_code)
        name = esc(commune.name if commune else "Xã/phường")
        session = turn.tx.session_upcoming(turn.resident.commune_code, turn.now)
        if session is None:
            return [Reply(texts.NO_SESSION.format(commune=name))]
        text = sessions.session_info(session)
        if not session.accepts_opinions(turn.now):
            text += texts.SESSION_CLOSED_NOTE
        return [Reply(text, (Choice(texts.SPEAK, "speak:"),))]

    def _cmd_speak(self, turn: Turn) -> list[Reply]:
        assert turn.resident is not None
        turn.state.step, turn.state.data = IDLE, {}
        code = normalise_ref_code(turn.inbound.text) or ""
        return [sessions.speak(turn.tx, turn.resident, turn.now, code).reply]

    def _cmd_my(self, turn: Turn) -> list[Reply]:
        assert turn.resident is not None and turn.resident.id is not None
        turn.state.step, turn.state.data = IDLE, {}
        opinions = turn.tx.opinions_of_resident(turn.resident.id, MY_LIMIT)
        if not opinions:
            return [Reply(texts.MY_EMPTY)]
        total = turn.tx.opinion_count_of_resident(turn.resident.id)
        text = texts.MY_HEADER.format(count=total)
        buttons: list[Choice] = []
        for op in opinions:
            state = texts.STATE_NAMES[op.state]
            if op.state is OpinionState.MERGED:  # answered with its group's head
                head = services.group_head(turn.tx, op)
                state = texts.MY_MERGED.format(code=head.ref_code,
                                               state=texts.STATE_NAMES[head.state])  # fmt: skip
            text += texts.MY_ITEM.format(
                code=op.ref_code,
                date=date_text(op.created_at),
                state=state,
                preview=preview(op.text, 100),
            )
            if len(buttons) < 2 * MY_BUTTONS and self._changeable(turn, op):
                buttons.append(Choice(f"{texts.EDIT} {op.ref_code}", f"edit:{op.ref_code}"))
                buttons.append(Choice(f"{texts.WITHDRAW} {op.ref_code}", f"withdraw:{op.ref_code}"))
        if total > len(opinions):
            text += texts.MY_MORE.format(shown=len(opinions))
        return [Reply(text, tuple(buttons))]

    def _changeable(self, turn: Turn, opinion: Opinion) -> bool:
        try:
            assert turn.resident is not None and turn.resident.id is not None
            services.check_changeable(turn.tx, turn.resident.id, opinion.ref_code, turn.now)
        except (CutoffPassed, InvalidTransition, NotFound):
            return False
        return True

    def _cmd_edit(self, turn: Turn) -> list[Reply]:
        return self._change_by_code(turn, "edit")

    def _cmd_withdraw(self, turn: Turn) -> list[Reply]:
        return self._change_by_code(turn, "withdraw")

    def _change_by_code(self, turn: Turn, action: str) -> list[Reply]:
        """`/edit YK-7K3M9Q`: the same as the button, for channels and people without one."""
        code = normalise_ref_code(turn.inbound.text)
        if code is None:
            return [Reply(texts.ASK_CODE.format(command=action))]
        return self._start_change(turn, action, code)

    def _cmd_link(self, turn: Turn) -> list[Reply]:
        turn.state.step, turn.state.data = LINK_PHONE, {}
        return [Reply(texts.ASK_LINK_PHONE, LINK_CANCEL_CHOICE)]

    def _cmd_notify(self, turn: Turn) -> list[Reply]:
        assert turn.resident is not None and turn.resident.id is not None
        turn.state.step, turn.state.data = IDLE, {}
        choices = linking.announce_choices(turn.tx, turn.resident.id)
        if not choices:
            return [Reply(texts.ANNOUNCE_ONE_CHANNEL)]
        now_to = texts.ANNOUNCE_NOW.format(
            channels=esc(linking.announce_to(turn.tx, turn.resident.id))
        )
        return [Reply(now_to + "\n" + texts.ASK_ANNOUNCE, choices)]

    def _left_link(self, turn: Turn) -> list[Reply] | None:
        """ "Hủy" pressed (or typed) during linking: back to where they were."""
        if turn.inbound.choice != "link:cancel":
            return None
        self._leave_link(turn)
        return [Reply(texts.LINK_CANCELLED)]

    def _leave_link(self, turn: Turn) -> None:
        turn.state.step = IDLE if turn.resident is not None else NEW
        turn.state.data = {}

    def _step_link_phone(self, turn: Turn) -> list[Reply]:
        ib = turn.inbound
        if (cancelled := self._left_link(turn)) is not None:
            return cancelled
        if ib.kind is not InboundKind.TEXT:
            return [Reply(texts.ASK_LINK_PHONE, LINK_CANCEL_CHOICE)]
        try:
            phone = validate.phone(ib.text)
        except ValidationError as err:
            return [Reply(err.user_message, LINK_CANCEL_CHOICE)]
        sent = linking.request(turn.tx, ib.channel, ib.user_key, phone, turn.resident, turn.now)
        turn.notify.extend(sent.notices)
        if sent.too_many and not sent.notices:
            self._leave_link(turn)
            return [Reply(texts.LINK_TOO_MANY)]
        turn.state.step, turn.state.data = LINK_CODE, {}
        return [Reply(texts.LINK_CODE_SENT, LINK_CANCEL_CHOICE)]

    def _step_link_code(self, turn: Turn) -> list[Reply]:
        ib = turn.inbound
        if (cancelled := self._left_link(turn)) is not None:
            return cancelled
        if ib.kind is not InboundKind.TEXT:
            return [Reply(texts.LINK_CODE_SENT, LINK_CANCEL_CHOICE)]
        outcome = linking.confirm(
            turn.tx, ib.channel, ib.user_key, ib.chat_id, turn.resident, ib.text, turn.now
        )
        if outcome.resident is None:
            if not outcome.retry:
                self._leave_link(turn)
                return [Reply(outcome.refusal)]
            return [Reply(outcome.refusal, LINK_CANCEL_CHOICE)]
        resident = outcome.resident
        assert resident.id is not None
        turn.state.step, turn.state.data = IDLE, {}
        channels = " và ".join(
            linking.channel_name(c) for c in linking.channels_of(turn.tx, resident.id)
        )
        linked = texts.LINKED.format(name=esc(resident.full_name), channels=esc(channels))
        return [
            Reply(linked),
            Reply(texts.ASK_ANNOUNCE, linking.announce_choices(turn.tx, resident.id)),
        ]

    def _cmd_delete_me(self, turn: Turn) -> list[Reply]:
        if turn.resident is None:
            turn.state.step, turn.state.data = NEW, {}
            turn.tx.redact_channel_data(
                turn.inbound.channel, turn.inbound.user_key, turn.inbound.chat_id
            )
            self._erased.add((turn.inbound.channel, turn.inbound.event_key))
            return [Reply(texts.DELETED)]
        turn.state.step, turn.state.data = CONFIRM_DELETE, {}
        return [self._ask_delete()]

    @staticmethod
    def _ask_delete(hint: bool = False) -> Reply:
        return Reply(
            texts.CONFIRM_DELETE + ("\n\n" + texts.CONFIRM_HINT if hint else ""),
            (Choice(texts.DELETE_YES, "delete:yes"), Choice(texts.KEEP, "delete:no")),
        )

    # -- registration --------------------------------------------------------------------
    def _ask_consent(self, turn: Turn) -> list[Reply]:
        turn.state.step, turn.state.data = CONSENT, {}
        return [
            Reply(texts.WELCOME),
            Reply(
                texts.CONSENT,
                (Choice(texts.CONSENT_YES, "consent:yes"), Choice(texts.CONSENT_NO, "consent:no")),
            ),
        ]

    def _step_new(self, turn: Turn) -> list[Reply]:
        first = self._kept_first(turn)
        replies = self._ask_consent(turn)
        if first:  # their first words are often their opinion: offered after registration
            turn.state.data["first"] = first
        return replies

    @staticmethod
    def _kept_first(turn: Turn) -> str:
        if turn.inbound.kind is not InboundKind.TEXT:
            return ""
        return clean_text(turn.inbound.text)[: validate.MAX_OPINION_CHARS]

    def _step_consent(self, turn: Turn) -> list[Reply]:
        first = turn.state.data.get("first", "")
        answer = turn.inbound.choice or ""
        how = "button"
        if turn.inbound.kind is InboundKind.TEXT:
            typed = validate.yes_no(turn.inbound.text)
            answer = "" if typed is None else ("consent:yes" if typed else "consent:no")
            how = "typed"
            if typed is None and not first:
                first = self._kept_first(turn)
        if answer == "consent:yes":
            turn.state.step = NAME
            turn.state.data = {"consent_at": turn.now.isoformat(), "consent_how": how}
            if first:
                turn.state.data["first"] = first
            return [Reply(texts.ASK_NAME)]
        if answer == "consent:no":
            turn.state.step, turn.state.data = NEW, {}
            return [Reply(texts.CONSENT_DECLINED)]
        ask = self._ask_consent(turn)[1:]
        if first:
            turn.state.data["first"] = first
        if turn.inbound.kind is InboundKind.TEXT:
            return [Reply(texts.CONSENT_HINT), *ask]
        return ask

    def _step_name(self, turn: Turn) -> list[Reply]:
        if turn.inbound.kind is not InboundKind.TEXT:
            return [Reply(texts.ASK_NAME)]
        try:
            turn.state.data["name"] = validate.full_name(turn.inbound.text)
        except ValidationError as err:
            return [Reply(err.user_message)]
        served = turn.tx.communes_list()
        if len(served) == 1:
            return self._commune_chosen(turn, served[0].code)
        turn.state.step = COMMUNE
        if not served:
            return [Reply(texts.COMMUNE_NONE_CONFIGURED)]
        return [Reply(texts.ASK_COMMUNE)]

    def _step_commune(self, turn: Turn) -> list[Reply]:
        choice = turn.inbound.choice or ""
        if choice.startswith("commune:") and choice[8:].isdigit():
            return self._commune_chosen(turn, int(choice[8:]))
        served = turn.tx.communes_list()
        if not served:
            return [Reply(texts.COMMUNE_NONE_CONFIGURED)]
        if turn.inbound.kind is not InboundKind.TEXT:
            return [Reply(texts.ASK_COMMUNE)]
        query = clean_text(turn.inbound.text)[:80]
        found = search_communes(query, served)
        if not found:
            return [Reply(texts.COMMUNE_NOT_FOUND.format(query=esc(query)))]
        choices = tuple(Choice(f"{c.name} ({c.province})", f"commune:{c.code}") for c in found)
        return [Reply(texts.COMMUNE_PICK, choices)]

    def _commune_chosen(self, turn: Turn, code: int) -> list[Reply]:
        commune = turn.tx.commune_get(code)
        if commune is None:
            turn.state.step = COMMUNE
            return [Reply(texts.ASK_COMMUNE)]
        turn.state.data["commune"] = code
        turn.state.step = VILLAGE
        return self._ask_village(turn, commune.name)

    def _ask_village(self, turn: Turn, commune_name: str) -> list[Reply]:
        villages = turn.tx.villages_list(turn.state.data["commune"])
        if not villages or len(villages) > MAX_VILLAGE_BUTTONS:
            return [Reply(texts.ASK_VILLAGE_FREE.format(commune=esc(commune_name)))]
        choices = tuple(Choice(v.name, f"village:{v.id}") for v in villages)
        return [Reply(texts.ASK_VILLAGE.format(commune=esc(commune_name)), choices)]

    def _step_village(self, turn: Turn) -> list[Reply]:
        code = int(turn.state.data["commune"])
        choice = turn.inbound.choice or ""
        villages = turn.tx.villages_list(code)
        if choice.startswith("village:") and choice[8:].isdigit():
            try:
                village = services.village_choice(turn.tx, code, int(choice[8:]))
            except NotFound:
                return [Reply(texts.STALE_CHOICE)]
            turn.state.data["village_id"], turn.state.data["village"] = village.id, village.name
        elif turn.inbound.kind is InboundKind.TEXT:
            name = clean_text(turn.inbound.text).replace("\n", " ")
            if not name or len(name) > 60:
                return [Reply(texts.VILLAGE_INVALID)]
            if villages:
                matches = [v for v in villages if fold(name) in fold(v.name)]
                exact = [v for v in matches if fold(v.name) == fold(name)]
                if len(exact) == 1 or len(matches) == 1:
                    village = (exact or matches)[0]
                    turn.state.data["village_id"] = village.id
                    turn.state.data["village"] = village.name
                else:
                    shown = matches[:MAX_VILLAGE_BUTTONS] or villages[:MAX_VILLAGE_BUTTONS]
                    choices = tuple(Choice(v.name, f"village:{v.id}") for v in shown)
                    commune = turn.tx.commune_get(code)
                    label = esc(commune.name if commune else "")
                    return [Reply(texts.ASK_VILLAGE.format(commune=label), choices)]
            else:
                turn.state.data["village_id"], turn.state.data["village"] = None, name
        else:
            commune = turn.tx.commune_get(code)
            return self._ask_village(turn, commune.name if commune else "")
        turn.state.step = PHONE
        return [Reply(texts.ASK_PHONE, (Choice(texts.SKIP, "phone:skip"),))]

    def _step_phone(self, turn: Turn) -> list[Reply]:
        if turn.inbound.choice == "phone:skip":
            turn.state.data["phone"] = None
        elif turn.inbound.kind is InboundKind.TEXT:
            try:
                turn.state.data["phone"] = validate.phone(turn.inbound.text)
            except ValidationError as err:
                return [Reply(err.user_message, (Choice(texts.SKIP, "phone:skip"),))]
        else:
            return [Reply(texts.ASK_PHONE, (Choice(texts.SKIP, "phone:skip"),))]
        turn.state.step = ORGANISATION
        return [Reply(texts.ASK_ORGANISATION, self._organisation_choices())]

    @staticmethod
    def _organisation_choices() -> tuple[Choice, ...]:
        return tuple(Choice(name, f"org:{org.value}") for org, name in ORGANISATION_NAMES.items())

    def _step_organisation(self, turn: Turn) -> list[Reply]:
        choice = turn.inbound.choice or ""
        try:
            organisation = Organisation(choice.removeprefix("org:"))
        except ValueError:
            return [Reply(texts.ASK_ORGANISATION, self._organisation_choices())]
        data = turn.state.data
        reg = services.Registration(
            full_name=data["name"],
            commune_code=int(data["commune"]),
            village_id=data.get("village_id"),
            village_name=data["village"],
            phone=data.get("phone"),
            organisation=organisation,
            consent_at=datetime.fromisoformat(data["consent_at"]),
            consent_how=data.get("consent_how", "button"),
        )
        resident = services.register_resident(
            turn.tx,
            turn.inbound.channel,
            turn.inbound.user_key,
            turn.inbound.chat_id,
            reg,
            turn.now,
        )
        commune = turn.tx.commune_get(resident.commune_code)
        first = data.get("first", "")
        turn.state.step, turn.state.data = IDLE, {}
        done = texts.REGISTERED.format(
            name=esc(resident.full_name),
            commune=esc(commune.name if commune else ""),
            village=esc(resident.village_name),
        )
        if first and self._fileable(first):
            turn.state.step, turn.state.data = FIRST_OFFER, {"first": first}
            return [Reply(done), self._first_offer(first)]
        return [Reply(done), self._menu()]

    @staticmethod
    def _fileable(text: str) -> bool:
        try:
            validate.opinion_text(text)
        except ValidationError:
            return False
        return True

    @staticmethod
    def _first_offer(first: str, hint: bool = False) -> Reply:
        text = texts.FIRST_OFFER.format(preview=preview(first, 300))
        return Reply(
            (texts.CONFIRM_HINT + "\n\n" if hint else "") + text,
            (Choice(texts.FIRST_SEND, "first:yes"), Choice(texts.FIRST_SKIP, "first:no")),
        )

    def _step_first_offer(self, turn: Turn) -> list[Reply]:
        first = turn.state.data.get("first", "")
        answer = turn.inbound.choice
        if turn.inbound.kind is InboundKind.TEXT:
            typed = validate.yes_no(turn.inbound.text)
            if typed is None:  # never filed from here: ask again, with a hint
                return [self._first_offer(first, hint=True)]
            answer = "first:yes" if typed else "first:no"
        if answer == "first:yes":
            return self._new_opinion(turn, first, None)
        turn.state.step, turn.state.data = IDLE, {}
        if answer == "first:no":
            return [Reply(texts.FIRST_SKIPPED), self._menu()]
        if turn.inbound.kind is InboundKind.CHOICE:
            return self._global_choice(turn)
        return [Reply(texts.UNSUPPORTED)]

    # -- registered residents ------------------------------------------------------------
    def _menu(self) -> Reply:
        return Reply(
            texts.MENU_HINT,
            (
                Choice(texts.MENU_SEND, "menu:send"),
                Choice(texts.MENU_MY, "menu:my"),
                Choice(texts.MENU_SESSION, "menu:session"),
            ),
        )

    def _step_idle(self, turn: Turn) -> list[Reply]:
        ib = turn.inbound
        if ib.kind is InboundKind.TEXT:
            rated = self._typed_rating(turn)
            if rated is not None:
                return rated
            return self._new_opinion(turn, ib.text, None)
        if ib.kind is InboundKind.PHOTO:
            if clean_text(ib.text):
                return self._new_opinion(turn, ib.text, ib.photo_ref)
            turn.state.step, turn.state.data = CAPTION, {"photo": ib.photo_ref}
            return [Reply(texts.PHOTO_NEEDS_CAPTION)]
        if ib.kind is InboundKind.CHOICE:
            return self._global_choice(turn)
        return [Reply(texts.UNSUPPORTED)]

    def _global_choice(self, turn: Turn) -> list[Reply]:
        value = turn.inbound.choice or ""
        action, _, arg = value.partition(":")
        if value == "menu:send":
            return [Reply(texts.ASK_OPINION)]
        if value == "menu:my":
            return self._cmd_my(turn)
        if value == "menu:session":
            return self._cmd_session(turn)
        if action in ("edit", "withdraw"):
            return self._start_change(turn, action, arg)
        if action == "sat":
            return self._satisfaction(turn, arg)
        if action == "speak":
            assert turn.resident is not None
            return [sessions.speak(turn.tx, turn.resident, turn.now, arg).reply]
        if action == "notify":
            assert turn.resident is not None and turn.resident.id is not None
            channels = linking.set_announce(turn.tx, turn.resident.id, arg)
            if channels is None:
                return [Reply(texts.STALE_CHOICE)]
            return [Reply(texts.ANNOUNCE_SET.format(channels=esc(channels)))]
        return [Reply(texts.STALE_CHOICE)]

    def _typed_rating(self, turn: Turn) -> list[Reply] | None:
        """Text typed right after an answer (its rating buttons are the last choices sent
        to this chat): a rating when it clearly is one, else the resident is asked."""
        assert turn.resident is not None and turn.resident.id is not None
        if not turn.tx.has_answered_opinion(turn.resident.id):  # the common case: one query
            return None
        offered = turn.tx.last_offered(turn.inbound.channel, turn.inbound.chat_id)
        rated = [v for v in offered if v.startswith("sat:") and v.endswith(":0")]
        if not rated:
            return None
        opinion_id = rated[0].split(":")[1]
        opinion = turn.tx.opinion_get(int(opinion_id)) if opinion_id.isdigit() else None
        if opinion is None or not answers.rating_open(turn.tx, opinion, turn.now):
            return None
        text = clean_text(turn.inbound.text)
        verdict = answers.typed_rating(text)
        if verdict is None:
            turn.state.step = RATE_OR_NEW
            turn.state.data = {"opinion": opinion.id, "text": text[: validate.MAX_OPINION_CHARS]}
            return [Reply(texts.RATE_OR_NEW.format(code=opinion.ref_code), (
                Choice(texts.RATE_UNSATISFIED, "rate:bad"),
                Choice(texts.RATE_NEW_OPINION, "rate:new")))]  # fmt: skip
        return self._rate(turn, opinion.id or 0, verdict, "" if verdict else text[:1000])

    def _rate(self, turn: Turn, opinion_id: int, satisfied: bool, comment: str) -> list[Reply]:
        assert turn.resident is not None
        turn.state.step, turn.state.data = IDLE, {}
        said, notices = answers.satisfaction(turn.tx, turn.resident, opinion_id, satisfied,
                                             comment, turn.now)  # fmt: skip
        turn.notify.extend(notices)
        return [Reply(said)]

    def _step_rate_or_new(self, turn: Turn) -> list[Reply]:
        opinion_id, text = int(turn.state.data["opinion"]), turn.state.data.get("text", "")
        if turn.inbound.choice == "rate:bad":
            return self._rate(turn, opinion_id, False, text[:1000])
        if turn.inbound.choice == "rate:new":
            return self._new_opinion(turn, text, None)
        turn.state.step, turn.state.data = IDLE, {}
        return self._step_idle(turn)

    def _satisfaction(self, turn: Turn, arg: str) -> list[Reply]:
        assert turn.resident is not None
        opinion_id, _, verdict = arg.partition(":")
        if not opinion_id.isdigit():
            return [Reply(texts.STALE_CHOICE)]
        if verdict == "1":
            said, notices = answers.satisfaction(turn.tx, turn.resident, int(opinion_id), True,
                                                 "", turn.now)  # fmt: skip
            turn.notify.extend(notices)
            return [Reply(said)]
        opinion = turn.tx.opinion_get(int(opinion_id))
        if opinion is None or opinion.resident_id != turn.resident.id:
            return [Reply(texts.STALE_CHOICE)]
        if not answers.rating_open(turn.tx, opinion, turn.now):
            return [Reply(texts.SATISFACTION_ALREADY.format(code=opinion.ref_code))]
        turn.state.step, turn.state.data = UNSATISFIED, {"opinion": opinion.id}
        return [Reply(texts.ASK_UNSATISFIED.format(code=opinion.ref_code),
                      (Choice(texts.SKIP, "unsat:skip"),))]  # fmt: skip

    def _step_unsatisfied(self, turn: Turn) -> list[Reply]:
        assert turn.resident is not None
        comment = (
            clean_text(turn.inbound.text)[:1000] if turn.inbound.kind is InboundKind.TEXT else ""
        )
        if turn.inbound.kind not in (InboundKind.TEXT, InboundKind.CHOICE):
            return [Reply(texts.UNSUPPORTED)]
        opinion_id = int(turn.state.data["opinion"])
        turn.state.step, turn.state.data = IDLE, {}
        said, notices = answers.satisfaction(turn.tx, turn.resident, opinion_id, False, comment,
                                             turn.now)  # fmt: skip
        turn.notify.extend(notices)
        return [Reply(said)]

    def _start_change(self, turn: Turn, action: str, code: str) -> list[Reply]:
        assert turn.resident is not None and turn.resident.id is not None
        try:
            opinion = services.check_changeable(turn.tx, turn.resident.id, code, turn.now)
        except Exception as err:
            turn.state.step, turn.state.data = IDLE, {}
            return [self._refusal(err, code)]
        if action == "edit":
            turn.state.step, turn.state.data = EDIT, {"code": opinion.ref_code}
            return [Reply(texts.ASK_EDIT.format(code=opinion.ref_code))]
        turn.state.step, turn.state.data = CONFIRM_WITHDRAW, {"code": opinion.ref_code}
        return self._ask_withdraw(turn, opinion.ref_code)

    @staticmethod
    def _ask_withdraw(turn: Turn, code: str, hint: bool = False) -> list[Reply]:
        opinion = turn.tx.opinion_by_code(code)
        text = texts.CONFIRM_WITHDRAW.format(
            code=esc(code), preview=preview(opinion.text if opinion else "")
        )
        return [
            Reply(
                text + ("\n\n" + texts.CONFIRM_HINT if hint else ""),
                (Choice(texts.WITHDRAW_YES, f"withdraw_yes:{code}"),
                 Choice(texts.KEEP, f"keep:{code}")),
            )
        ]  # fmt: skip

    @staticmethod
    def _refusal(err: CutoffPassed | InvalidTransition | NotFound, code: str) -> Reply:
        if isinstance(err, CutoffPassed):
            return Reply(texts.CUTOFF_PASSED.format(code=esc(code)))
        if isinstance(err, InvalidTransition):
            state = texts.STATE_NAMES.get(OpinionState(err.current), err.current)
            return Reply(texts.NOT_EDITABLE.format(code=esc(code), state=esc(state)))
        return Reply(texts.NOT_YOUR_OPINION.format(code=esc(code)))

    def _new_opinion(self, turn: Turn, raw: str, photo_ref: str | None) -> list[Reply]:
        assert turn.resident is not None
        try:
            text = validate.opinion_text(raw)
        except ValidationError as err:
            return [Reply(err.user_message)]
        opinion, session = services.submit_opinion(
            turn.tx,
            turn.resident,
            text,
            photo_ref,
            turn.inbound.channel,
            f"{turn.inbound.channel}:{turn.inbound.event_key}",
            self.screener,
            turn.now,
        )
        metrics.OPINIONS_FILED.labels(turn.inbound.channel).inc()
        metrics.CLASSIFIED.labels(opinion.kind or "kien_nghi", opinion.state.value).inc()
        turn.state.step, turn.state.data = IDLE, {}
        turn.notify.extend(moderation.cards_for_intake(turn.tx, opinion, turn.now))
        changes = (
            Choice(texts.EDIT, f"edit:{opinion.ref_code}"),
            Choice(texts.WITHDRAW, f"withdraw:{opinion.ref_code}"),
        )
        if opinion.state is not OpinionState.PENDING_REVIEW:
            return [self._screened_out(turn, opinion)]
        # No open session: is it because the next meeting's cut-off has just passed?
        closed = None if session else turn.tx.session_upcoming(turn.resident.commune_code, turn.now)
        if session is not None:
            where = texts.OPINION_FOR_SESSION.format(
                date=date_text(session.starts_at), cutoff=when_text(session.cutoff_at)
            )
        elif closed is not None:
            where = texts.LATE_FOR_SESSION.format(
                date=date_text(closed.starts_at), cutoff=when_text(closed.cutoff_at)
            )
        else:
            commune = turn.tx.commune_get(turn.resident.commune_code)
            where = texts.OPINION_NO_SESSION.format(commune=esc(commune.name if commune else ""))
        body = texts.OPINION_RECEIVED.format(
            code=opinion.ref_code, preview=preview(opinion.text), where=where
        )
        return [Reply(body, changes)]

    @staticmethod
    def _screened_out(turn: Turn, opinion: Opinion) -> Reply:
        """The polite answer for what screening kept off the agenda (and where to go)."""
        if opinion.state is OpinionState.DIVERTED:
            commune = turn.tx.commune_get(opinion.commune_code)
            name = commune.name if commune else "xã/phường"
            reception = (commune.reception if commune else "") or texts.RECEPTION_DEFAULT.format(
                commune=name
            )
            return Reply(
                texts.OPINION_DIVERTED.format(
                    code=opinion.ref_code,
                    preview=preview(opinion.text),
                    kind=esc(KINDS.get(opinion.kind or "", "").lower()),
                    reception=esc(reception),
                )
            )
        template = texts.OPINION_SCREENED_OUT.get(
            opinion.kind or "", texts.OPINION_SCREENED_OUT["spam"]
        )
        return Reply(template.format(code=opinion.ref_code))

    def _step_caption(self, turn: Turn) -> list[Reply]:
        ib = turn.inbound
        if ib.kind is InboundKind.TEXT:
            return self._new_opinion(turn, ib.text, turn.state.data.get("photo"))
        if ib.kind is InboundKind.PHOTO:
            if clean_text(ib.text):
                return self._new_opinion(turn, ib.text, ib.photo_ref)
            turn.state.data["photo"] = ib.photo_ref
            return [Reply(texts.PHOTO_NEEDS_CAPTION)]
        if ib.kind is InboundKind.CHOICE:
            turn.state.step, turn.state.data = IDLE, {}
            return self._global_choice(turn)
        return [Reply(texts.PHOTO_NEEDS_CAPTION)]

    def _step_edit(self, turn: Turn) -> list[Reply]:
        assert turn.resident is not None and turn.resident.id is not None
        code = turn.state.data.get("code", "")
        if turn.inbound.kind is InboundKind.CHOICE:
            turn.state.step, turn.state.data = IDLE, {}
            return self._global_choice(turn)
        if turn.inbound.kind is not InboundKind.TEXT:
            return [Reply(texts.ASK_EDIT.format(code=esc(code)))]
        try:
            text = validate.opinion_text(turn.inbound.text)
        except ValidationError as err:
            return [Reply(err.user_message)]
        turn.state.step, turn.state.data = IDLE, {}
        try:
            opinion = services.revise_opinion(
                turn.tx, turn.resident.id, code, text, self.screener, turn.now
            )
        except (CutoffPassed, InvalidTransition, NotFound) as err:
            return [self._refusal(err, code)]
        if opinion.state is not OpinionState.PENDING_REVIEW:
            return [self._screened_out(turn, opinion)]
        return [Reply(texts.EDITED.format(code=esc(code)))]

    def _step_confirm_withdraw(self, turn: Turn) -> list[Reply]:
        assert turn.resident is not None and turn.resident.id is not None
        code = turn.state.data.get("code", "")
        choice = turn.inbound.choice or ""
        if turn.inbound.kind is InboundKind.TEXT:  # typed: understood, or asked again
            typed = validate.yes_no(turn.inbound.text)
            if typed is None:
                return self._ask_withdraw(turn, code, hint=True)
            choice = f"withdraw_yes:{code}" if typed else f"keep:{code}"
        turn.state.step, turn.state.data = IDLE, {}
        if choice == f"withdraw_yes:{code}":
            try:
                opinion = services.withdraw_opinion(turn.tx, turn.resident.id, code, turn.now)
            except (CutoffPassed, InvalidTransition, NotFound) as err:
                return [self._refusal(err, code)]
            actor = f"resident:{turn.resident.id}"
            turn.notify.extend(moderation.group_left_notices(turn.tx, opinion, actor, turn.now))
            return [Reply(texts.WITHDRAWN.format(code=esc(code)))]
        if choice.startswith(GLOBAL_CHOICES):
            return self._global_choice(turn)
        return [Reply(texts.KEPT.format(code=esc(code)))]

    def _step_confirm_delete(self, turn: Turn) -> list[Reply]:
        assert turn.resident is not None and turn.resident.id is not None
        choice = turn.inbound.choice or ""
        if turn.inbound.kind is InboundKind.TEXT:
            typed = validate.yes_no(turn.inbound.text)
            if typed is None:
                return [self._ask_delete(hint=True)]
            choice = "delete:yes" if typed else "delete:no"
        if choice == "delete:yes":
            services.erase_resident(turn.tx, turn.resident.id, turn.now)
            self._erased.add((turn.inbound.channel, turn.inbound.event_key))
            turn.state.step, turn.state.data = NEW, {}
            return [Reply(texts.DELETED)]
        turn.state.step, turn.state.data = IDLE, {}
        if choice.startswith(GLOBAL_CHOICES):
            return self._global_choice(turn)
        return [Reply(texts.DELETE_KEPT)]


OFFICER_STEPS = (
    frozenset({"record_who", "record_text", "record_answer"})
    | session_dialogue.STEPS
    | answer_dialogue.STEPS
)
STAFF_CHOICES = ("m:", "q:", "d:", "r:", "s:", "ad:", "x:")


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
        return [answer_dialogue.start_extension(state, opinion, now)]
    try:
        answer_mode = AnswerMode(mode)
    except ValueError:
        return [Reply(texts.STALE_CHOICE)]
    assert opinion.id is not None
    return [answer_dialogue.start(state, opinion.id, opinion.ref_code, answer_mode, now)]


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
