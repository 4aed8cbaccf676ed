"""Following one's opinions: the session, /my, registering to speak, and rating the answer."""

from __future__ import annotations

from bot import answers, services, sessions, texts
from bot import validation as validate
from bot.conversation import opinions
from bot.conversation.turn import IDLE, RATE_OR_NEW, UNSATISFIED, Turn, preview
from bot.messages import Choice, InboundKind, Reply
from bot.model import OpinionState, normalise_ref_code
from bot.texts import date_text, esc
from nlp.normalize import clean_text

MY_LIMIT = 10
MY_BUTTONS = 5


def cmd_session(turn: Turn) -> list[Reply]:
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


def cmd_speak(turn: Turn) -> list[Reply]:
    assert turn.resident is not None
    turn.state.step, turn.state.data = IDLE, {}
    code = normalise_ref_code(turn.inbound.text) or ""
    return [sessions.speak(turn.tx, turn.resident, turn.now, code).reply]


def cmd_my(turn: Turn) -> list[Reply]:
    assert turn.resident is not None and turn.resident.id is not None
    turn.state.step, turn.state.data = IDLE, {}
    mine = turn.tx.opinions_of_resident(turn.resident.id, MY_LIMIT)
    if not mine:
        return [Reply(texts.MY_EMPTY)]
    total = turn.tx.opinion_count_of_resident(turn.resident.id)
    text = texts.MY_HEADER.format(count=total)
    buttons: list[Choice] = []
    for op in mine:
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
        if len(buttons) < 2 * MY_BUTTONS and opinions.changeable(turn, op):
            buttons.append(Choice(f"{texts.EDIT} {op.ref_code}", f"edit:{op.ref_code}"))
            buttons.append(Choice(f"{texts.WITHDRAW} {op.ref_code}", f"withdraw:{op.ref_code}"))
    if total > len(mine):
        text += texts.MY_MORE.format(shown=len(mine))
    return [Reply(text, tuple(buttons))]


def typed_rating(turn: Turn) -> list[Reply] | None:
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
    return _rate(turn, opinion.id or 0, verdict, "" if verdict else text[:1000])


def _rate(turn: Turn, opinion_id: int, satisfied: bool, comment: str) -> list[Reply]:
    assert turn.resident is not None
    turn.state.step, turn.state.data = IDLE, {}
    said, notices = answers.satisfaction(turn.tx, turn.resident, opinion_id, satisfied,
                                         comment, turn.now)  # fmt: skip
    turn.notify.extend(notices)
    return [Reply(said)]


def step_rate_or_new(turn: Turn) -> list[Reply] | None:
    opinion_id, text = int(turn.state.data["opinion"]), turn.state.data.get("text", "")
    if turn.inbound.choice == "rate:bad":
        return _rate(turn, opinion_id, False, text[:1000])
    if turn.inbound.choice == "rate:new":
        return opinions.new_opinion(turn, text, None)
    return None  # anything else: as at IDLE


def satisfaction(turn: Turn, arg: str) -> list[Reply]:
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


def step_unsatisfied(turn: Turn) -> list[Reply]:
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
