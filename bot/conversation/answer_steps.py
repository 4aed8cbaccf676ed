"""A department writing its answer: a draft, published only on "Gửi".

Officers paste long answers that their client splits into several messages, press other
commands in between, and come back later. So an answer is a draft: every text message adds
to it and is answered with a preview and "Gửi" / "Sửa" / "Hủy"; nothing reaches a resident
before "Gửi". A forwarded answer asks for the higher body and its expected date as fields of
their own, an answer "in progress" for its expected date (a date still to come). At "Gửi"
the rights and the opinion's state are checked again: if it was moved to another department
or answered by someone else meanwhile, the draft is given back to its writer, not lost.
A draft left alone for `DRAFT_TIMEOUT` is closed, and says so.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta

from bot import answers, texts
from bot.clock import to_local
from bot.conversation.session_steps import parse_date
from bot.messages import Choice, Reply
from bot.model import ANSWER_MODE_NAMES, AnswerMode, Opinion, OpinionState
from bot.moderation import Officer
from bot.ports import ConversationState, Tx
from bot.texts import esc

BODY, DUE, DRAFT, RETURN_REASON = "answer_body", "answer_due", "answer", "review_back"
EXTEND_DUE, EXTEND_REASON = "extend_due", "extend_reason"
STEPS = frozenset({BODY, DUE, DRAFT, RETURN_REASON, EXTEND_DUE, EXTEND_REASON})
DRAFT_TIMEOUT = timedelta(minutes=30)
IDLE = "idle"
Notice = tuple[str, str, Reply]
_DRAFT_CHOICES = (
    Choice(texts.DRAFT_SEND, "ad:send"),
    Choice(texts.DRAFT_EDIT, "ad:edit"),
    Choice(texts.DRAFT_CANCEL, "ad:cancel"),
)


def start(state: ConversationState, opinion_id: int, code: str, mode: AnswerMode,
          now: datetime) -> Reply:  # fmt: skip
    """The department chose how it answers: ask for the first field."""
    data = {"opinion": opinion_id, "code": code, "mode": mode.value, "parts": [],
            "at": now.isoformat()}  # fmt: skip
    if mode is AnswerMode.FORWARDED:
        state.step, state.data = BODY, data
        return Reply(texts.ASK_FORWARDED_BODY.format(code=code))
    if mode is AnswerMode.IN_PROGRESS:
        state.step, state.data = DUE, data
        return Reply(texts.ASK_ANSWER_DUE.format(code=code))
    state.step, state.data = DRAFT, data
    return Reply(texts.ASK_ANSWER.format(code=code, mode=esc(ANSWER_MODE_NAMES[mode])))


def start_extension(state: ConversationState, opinion: Opinion, now: datetime) -> Reply:
    """A department asks for more time: the new date, then the reason."""
    state.step = EXTEND_DUE
    state.data = {"opinion": opinion.id, "code": opinion.ref_code, "at": now.isoformat()}
    due = f"{opinion.due_on:%d/%m/%Y}" if opinion.due_on else "—"
    return Reply(texts.ASK_EXTEND_DUE.format(code=opinion.ref_code, due=due))


def _extension(tx: Tx, who: Officer, state: ConversationState, text: str,
               now: datetime) -> tuple[list[Reply], list[Notice]]:  # fmt: skip
    opinion = tx.opinion_get(int(state.data["opinion"]))
    if opinion is None or not answers.may_answer(who.roles, opinion):
        state.step, state.data = IDLE, {}
        return [Reply(texts.NOT_ALLOWED)], []
    if state.step == EXTEND_DUE:
        until = parse_date(text, to_local(now).date()) if text else None
        if until is None:
            return [Reply(texts.ANSWER_DUE_INVALID)], []
        due = opinion.due_on
        if due is not None and not due < until <= due + answers.MAX_EXTENSION:
            limit = due + answers.MAX_EXTENSION
            return [Reply(texts.EXTEND_RANGE.format(due=f"{due:%d/%m/%Y}",
                                                    limit=f"{limit:%d/%m/%Y}"))], []  # fmt: skip
        state.data["until"] = until.isoformat()
        state.step = EXTEND_REASON
        return [Reply(texts.ASK_EXTEND_REASON)], []
    if not text:
        return [Reply(texts.ASK_EXTEND_REASON)], []
    until = date.fromisoformat(state.data["until"])
    state.step, state.data = IDLE, {}
    said, notices = answers.request_extension(tx, who.actor, opinion, until, text[:500], now)
    return [Reply(said)], notices


def draft_code(state: ConversationState) -> str | None:
    """The opinion of an open draft with some text in it, if any."""
    if state.step == DRAFT and state.data.get("parts"):
        return str(state.data.get("code", ""))
    return None


def step(tx: Tx, who: Officer, state: ConversationState, text: str, choice: str,
         now: datetime, attachment: str | None = None,
         ) -> tuple[list[Reply], list[Notice]]:  # fmt: skip
    """One message inside the answer dialogue: (replies, notices to others). A photo or a
    document sent while drafting is attached to the answer (its caption joins the text)."""
    if state.step == RETURN_REASON:
        return _return_reason(tx, who, state, text, now)
    if state.step in (EXTEND_DUE, EXTEND_REASON):
        return _extension(tx, who, state, text, now)
    data = state.data
    last = datetime.fromisoformat(data.get("at", now.isoformat()))
    if now - last > DRAFT_TIMEOUT:
        code = data.get("code", "")
        state.step, state.data = IDLE, {}
        return [Reply(texts.DRAFT_EXPIRED.format(code=code))], []
    data["at"] = now.isoformat()
    code = str(data.get("code", ""))
    if state.step == BODY:
        if not text:
            return [Reply(texts.ASK_FORWARDED_BODY.format(code=code))], []
        data["body"] = " ".join(text.split())[:200]
        state.step = DUE
        return [Reply(texts.ASK_FORWARDED_DUE.format(code=code, body=esc(data["body"])))], []
    if state.step == DUE:
        due = parse_date(text, to_local(now).date()) if text else None
        if due is None or due <= to_local(now).date():
            return [Reply(texts.ANSWER_DUE_INVALID)], []
        data["due"] = due.isoformat()
        state.step = DRAFT
        mode = AnswerMode(data["mode"])
        return [Reply(texts.ASK_ANSWER.format(code=code, mode=esc(ANSWER_MODE_NAMES[mode])))], []
    if choice == "ad:cancel":
        state.step, state.data = IDLE, {}
        return [Reply(texts.DRAFT_CANCELLED.format(code=code))], []
    if choice == "ad:edit":
        data["parts"] = []
        return [Reply(texts.DRAFT_RESTART.format(code=code))], []
    if choice == "ad:send":
        return _send(tx, who, state, now)
    if attachment:
        data["files"] = [*data.get("files", []), attachment][:10]
    elif not text:
        return [Reply(texts.OPINION_EMPTY)], []
    if text:
        data["parts"] = [*data.get("parts", []), text]
    return [preview(state)], []


def preview(state: ConversationState) -> Reply:
    whole = "\n\n".join(state.data.get("parts", []))
    shown = whole if len(whole) <= 700 else whole[:400] + " … " + whole[-200:]
    extra = ""
    if state.data.get("body"):
        extra += texts.DRAFT_FORWARDED.format(body=esc(state.data["body"]))
    if state.data.get("files"):
        extra += texts.DRAFT_FILES.format(count=len(state.data["files"]))
    if state.data.get("due"):
        extra += texts.DRAFT_DUE.format(due=f"{date.fromisoformat(state.data['due']):%d/%m/%Y}")
    return Reply(
        texts.DRAFT_PREVIEW.format(code=state.data.get("code", ""), parts=len(state.data["parts"]),
                                   chars=len(whole), text=esc(shown), extra=extra),
        _DRAFT_CHOICES,
    )  # fmt: skip


def _send(tx: Tx, who: Officer, state: ConversationState,
          now: datetime) -> tuple[list[Reply], list[Notice]]:  # fmt: skip
    data = state.data
    whole = "\n\n".join(data.get("parts", []))
    code = str(data.get("code", ""))
    if not whole:
        return [Reply(texts.DRAFT_EMPTY.format(code=code))], []
    opinion = tx.opinion_get(int(data["opinion"]))
    state.step, state.data = IDLE, {}
    kept = texts.DRAFT_KEPT.format(text=esc(whole))
    if opinion is None:
        return [Reply(texts.STALE_CHOICE)], []
    if not answers.may_answer(who.roles, opinion):  # moved to another department meanwhile
        moved = texts.ANSWER_MOVED.format(code=opinion.ref_code,
                                          department=esc(answers.department_name(tx, opinion)))
        return [Reply(moved + "\n\n" + kept)], []  # fmt: skip
    if opinion.state is not OpinionState.ASSIGNED:  # someone else answered first
        published = [a for a in tx.answers_of(opinion.id or 0) if a.status == "published"]
        by = published[-1].officer if published else "cán bộ khác"
        said = texts.ANSWERED_BY_OTHER.format(code=opinion.ref_code, by=esc(by),
                                              state=esc(texts.STATE_NAMES[opinion.state]))
        return [Reply(said + "\n\n" + kept)], []  # fmt: skip
    due = date.fromisoformat(data["due"]) if data.get("due") else None
    said, notices = answers.submit_answer(tx, who.actor, opinion, AnswerMode(data["mode"]),
                                          whole, now, due, data.get("body"),
                                          tuple(data.get("files", [])))  # fmt: skip
    if notices is None:  # refused (one answer already waits for review): keep the draft
        return [Reply(said + "\n\n" + kept)], []
    return [Reply(said)], notices


def ask_return_reason(state: ConversationState, answer_id: int, code: str) -> Reply:
    state.step, state.data = RETURN_REASON, {"answer": answer_id, "code": code}
    return Reply(texts.ASK_RETURN_REASON.format(code=code))


def _return_reason(tx: Tx, who: Officer, state: ConversationState, text: str,
                   now: datetime) -> tuple[list[Reply], list[Notice]]:  # fmt: skip
    if not text:
        return [Reply(texts.ASK_RETURN_REASON.format(code=state.data.get("code", "")))], []
    answer_id = int(state.data["answer"])
    state.step, state.data = IDLE, {}
    said, notices = answers.review(tx, who.roles, who.actor, answer_id, False, now, text[:1000])
    return [Reply(said)], notices
