"""Sending an opinion, and changing it before the cut-off: edit and withdraw."""

from __future__ import annotations

from bot import metrics, moderation, services, texts
from bot import validation as validate
from bot.conversation.turn import (
    CONFIRM_WITHDRAW,
    EDIT,
    GLOBAL_CHOICES,
    IDLE,
    Turn,
    preview,
    refusal,
)
from bot.errors import CutoffPassed, InvalidTransition, NotFound, ValidationError
from bot.messages import Choice, InboundKind, Reply
from bot.model import Opinion, OpinionState, normalise_ref_code
from bot.texts import date_text, esc, when_text
from nlp.labels import KINDS
from nlp.normalize import clean_text


def changeable(turn: Turn, opinion: Opinion) -> bool:
    try:
        assert turn.resident is not None and turn.resident.id is not None
        services.check_changeable(turn.tx, turn.resident.id, opinion.ref_code, turn.now)
    except (CutoffPassed, InvalidTransition, NotFound):
        return False
    return True


def cmd_edit(turn: Turn) -> list[Reply]:
    return _change_by_code(turn, "edit")


def cmd_withdraw(turn: Turn) -> list[Reply]:
    return _change_by_code(turn, "withdraw")


def _change_by_code(turn: Turn, action: str) -> list[Reply]:
    """`/edit YK-7K3M9Q`: the same as the button, for channels and people without one."""
    code = normalise_ref_code(turn.inbound.text)
    if code is None:
        return [Reply(texts.ASK_CODE.format(command=action))]
    return start_change(turn, action, code)


def start_change(turn: Turn, action: str, code: str) -> list[Reply]:
    assert turn.resident is not None and turn.resident.id is not None
    try:
        opinion = services.check_changeable(turn.tx, turn.resident.id, code, turn.now)
    except Exception as err:
        turn.state.step, turn.state.data = IDLE, {}
        return [refusal(err, code)]
    if action == "edit":
        turn.state.step, turn.state.data = EDIT, {"code": opinion.ref_code}
        return [Reply(texts.ASK_EDIT.format(code=opinion.ref_code))]
    turn.state.step, turn.state.data = CONFIRM_WITHDRAW, {"code": opinion.ref_code}
    return _ask_withdraw(turn, opinion.ref_code)


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


def new_opinion(turn: Turn, raw: str, photo_ref: str | None) -> list[Reply]:
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
        turn.screener,
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
        return [screened_out(turn, opinion)]
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


def screened_out(turn: Turn, opinion: Opinion) -> Reply:
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


def step_caption(turn: Turn) -> list[Reply] | None:
    ib = turn.inbound
    if ib.kind is InboundKind.TEXT:
        return new_opinion(turn, ib.text, turn.state.data.get("photo"))
    if ib.kind is InboundKind.PHOTO:
        if clean_text(ib.text):
            return new_opinion(turn, ib.text, ib.photo_ref)
        turn.state.data["photo"] = ib.photo_ref
        return [Reply(texts.PHOTO_NEEDS_CAPTION)]
    if ib.kind is InboundKind.CHOICE:
        return None  # a button of the menu or of another message
    return [Reply(texts.PHOTO_NEEDS_CAPTION)]


def step_edit(turn: Turn) -> list[Reply] | None:
    assert turn.resident is not None and turn.resident.id is not None
    code = turn.state.data.get("code", "")
    if turn.inbound.kind is InboundKind.CHOICE:
        return None  # a button of the menu or of another message
    if turn.inbound.kind is not InboundKind.TEXT:
        return [Reply(texts.ASK_EDIT.format(code=esc(code)))]
    try:
        text = validate.opinion_text(turn.inbound.text)
    except ValidationError as err:
        return [Reply(err.user_message)]
    turn.state.step, turn.state.data = IDLE, {}
    try:
        opinion = services.revise_opinion(
            turn.tx, turn.resident.id, code, text, turn.screener, turn.now
        )
    except (CutoffPassed, InvalidTransition, NotFound) as err:
        return [refusal(err, code)]
    turn.changed.append(opinion.id or 0)
    if opinion.state is not OpinionState.PENDING_REVIEW:
        return [screened_out(turn, opinion)]
    return [Reply(texts.EDITED.format(code=esc(code)))]


def step_confirm_withdraw(turn: Turn) -> list[Reply] | None:
    assert turn.resident is not None and turn.resident.id is not None
    code = turn.state.data.get("code", "")
    choice = turn.inbound.choice or ""
    if turn.inbound.kind is InboundKind.TEXT:  # typed: understood, or asked again
        typed = validate.yes_no(turn.inbound.text)
        if typed is None:
            return _ask_withdraw(turn, code, hint=True)
        choice = f"withdraw_yes:{code}" if typed else f"keep:{code}"
    turn.state.step, turn.state.data = IDLE, {}
    if choice == f"withdraw_yes:{code}":
        try:
            opinion = services.withdraw_opinion(turn.tx, turn.resident.id, code, turn.now)
        except (CutoffPassed, InvalidTransition, NotFound) as err:
            return [refusal(err, code)]
        actor = f"resident:{turn.resident.id}"
        turn.changed.append(opinion.id or 0)
        turn.notify.extend(moderation.group_left_notices(turn.tx, opinion, actor, turn.now))
        return [Reply(texts.WITHDRAWN.format(code=esc(code)))]
    if choice.startswith(GLOBAL_CHOICES):
        return None
    return [Reply(texts.KEPT.format(code=esc(code)))]
