"""The Fatherland Front's moderation queue: cards, actions, history, queue and statistics.

Channel-agnostic like the rest of the core: a card is a `Reply` whose choices carry
`m:<opinion id>:<version>:<action>[:<arg>]` (under Telegram's 64 bytes). Every action checks
that the officer holds the Front role in the opinion's commune (a forged button for another
commune is refused), and the version of the card: two officers pressing at once, exactly one
wins, the other is told who did it and gets a fresh card. Every change is an event of the
opinion's append-only history, with what it changed, so the last action can be undone.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot import answers, texts
from bot.cards import button, card, cards_for_new, front_chats
from bot.clock import to_local
from bot.errors import InvalidTransition
from bot.messages import Choice, Reply
from bot.model import TRANSITIONS, Opinion, OpinionState, Role, StaffRole
from bot.ports import OpinionEvent, Tx
from bot.services import (
    enqueue,
    record_correction,
    regroup,
    release_members,
    similar_opinions,
)
from bot.texts import esc
from nlp.labels import FIELDS, KINDS
from nlp.normalize import fold

log = logging.getLogger(__name__)
S = OpinionState
Notice = tuple[str, str, Reply]  # channel, chat, message
UNDO_WINDOW = timedelta(minutes=5)
QUEUE_PAGE = 5
REJECT_REASONS = {
    "spam": "Quảng cáo hoặc nội dung không phải ý kiến",
    "abuse": "Có lời lẽ xúc phạm",
    "off": "Không thuộc nội dung hội nghị đối thoại",
    "vague": "Nội dung chưa rõ, đề nghị viết cụ thể hơn",
}
BURST_WINDOW = timedelta(seconds=30)  # opinions of one resident this close form a burst...
BURST_CARDS = 3  # ...once more than this many came: the rest are carded together
BURST_QUIET = timedelta(seconds=10)  # a burst is over after this long without a new opinion
BURST_SHOWN = 10
MODERATABLE = (S.PENDING_REVIEW, S.DIVERTED, S.REJECTED, S.APPROVED, S.ASSIGNED, S.MERGED)


@dataclass
class Officer:
    channel: str
    user_key: str
    roles: list[StaffRole]
    name: str = ""

    @property
    def actor(self) -> str:
        return f"{self.channel}:{self.user_key}" + (f" ({self.name})" if self.name else "")

    def front_of(self, commune_code: int) -> bool:
        return any(
            r.role is Role.ADMIN or (r.role is Role.FRONT and r.commune_code == commune_code)
            for r in self.roles
        )

    def front_communes(self) -> list[int]:
        return sorted({r.commune_code for r in self.roles
                       if r.role is Role.FRONT and r.commune_code is not None})  # fmt: skip


@dataclass
class Outcome:
    """What an action answers the officer, and whom else it tells."""

    replies: list[Reply] = field(default_factory=list)
    notify: list[tuple[str, str, Reply]] = field(default_factory=list)  # channel, chat, reply
    changed: list[int] = field(default_factory=list)  # opinions whose cards must be redrawn


def officer(tx: Tx, channel: str, user_key: str) -> Officer:
    return Officer(channel, user_key, tx.staff_roles(channel, user_key),
                   tx.staff_name(channel, user_key))  # fmt: skip


def cards_for_intake(tx: Tx, opinion: Opinion, now: datetime) -> list[tuple[str, str, Reply]]:
    """The card of an opinion a resident just sent, unless they are sending many at once.

    One resident's burst must not bury everyone else's cards (the officers' chat is paced at
    about one message a second): after `BURST_CARDS` opinions within `BURST_WINDOW`, the
    next ones are filed and queued as usual but carded together, once the burst is over
    (`burst_cards`)."""
    assert opinion.id is not None
    if not front_chats(tx, opinion.commune_code):
        return []  # nobody to card (yet): no burst to keep either
    burst = tx.card_burst_open(opinion.resident_id, now - BURST_WINDOW)
    if burst is None and tx.opinions_since(opinion.resident_id, now - BURST_WINDOW) > BURST_CARDS:
        burst = tx.card_burst_add(opinion.resident_id, opinion.commune_code, now)
    if burst is not None:
        tx.card_burst_join(burst, opinion.id, now)
        return []
    return cards_for_new(tx, opinion)


def burst_cards(tx: Tx, now: datetime) -> list[tuple[str, str, Reply]]:
    """One grouped card for each burst that has gone quiet."""
    notices: list[tuple[str, str, Reply]] = []
    for burst, resident_id in tx.card_bursts_due(now - BURST_QUIET):
        tx.card_burst_done(burst, now)
        opinions = tx.card_burst_opinions(burst)
        if not opinions:
            continue
        resident = tx.resident_get(resident_id)
        who = " · ".join(x for x in (
            resident.village_name if resident else "",
            texts.ORGANISATION_SHORT.get(resident.organisation.value, "") if resident else "",
        ) if x) or "cử tri"  # fmt: skip
        lines = [texts.BURST_CARD.format(
            count=len(opinions), who=esc(who),
            first=f"{to_local(opinions[0].created_at):%H:%M:%S}",
            last=f"{to_local(opinions[-1].created_at):%H:%M:%S}")]  # fmt: skip
        for op in opinions[:BURST_SHOWN]:
            state = texts.STATE_NAMES[op.state]
            flat = " ".join(op.text.split())
            lines.append(f"• <code>{op.ref_code}</code> ({esc(state)}): "
                         f"{esc(flat[:80] + ('…' if len(flat) > 80 else ''))}")  # fmt: skip
        if len(opinions) > BURST_SHOWN:
            lines.append(texts.BURST_MORE.format(more=len(opinions) - BURST_SHOWN))
        lines.append(texts.BURST_HINT)
        reply = Reply("\n".join(lines))
        recipients = front_chats(tx, opinions[0].commune_code)
        notices += [(channel, chat, reply) for channel, chat in recipients]
    return notices


def enqueue_burst_cards(tx: Tx, now: datetime) -> int:
    """The scheduler's turn at `burst_cards`, for bursts no later message flushed."""
    return enqueue(tx, burst_cards(tx, now), now)


# -- actions -------------------------------------------------------------------------------
def act(tx: Tx, who: Officer, value: str, now: datetime) -> Outcome:
    """Apply one button press `m:<id>:<version>:<action>[:<arg>]`."""
    parts = value.split(":")
    if len(parts) < 4 or not parts[1].isdigit() or not parts[2].isdigit():
        return Outcome([Reply(texts.STALE_CHOICE)])
    opinion = tx.opinion_get(int(parts[1]))
    if opinion is None or not who.front_of(opinion.commune_code):
        log.warning("refused: %s pressed %r without the Front role there", who.actor, value)
        return Outcome([Reply(texts.NOT_ALLOWED)])
    version, action, arg = int(parts[2]), parts[3], ":".join(parts[4:])
    if opinion.state not in MODERATABLE:
        return Outcome([Reply(texts.NOT_IN_QUEUE.format(
            code=opinion.ref_code, state=esc(texts.STATE_NAMES[opinion.state])))])  # fmt: skip
    if version != opinion.version:
        last = tx.opinion_history(opinion.id)[-1] if opinion.id else None
        by = last.actor if last else "cán bộ khác"
        return Outcome([Reply(texts.ALREADY_HANDLED.format(
            code=opinion.ref_code, by=esc(by), state=esc(texts.STATE_NAMES[opinion.state]))),
            card(tx, opinion)])  # fmt: skip
    menus = {"tp": _topic_menu, "as": _department_menu, "rj": _reject_menu, "mg": _merge_menu}
    if action in menus:
        return Outcome([menus[action](tx, opinion)])
    handler = ACTIONS.get(action)
    if handler is None:
        return Outcome([Reply(texts.STALE_CHOICE)])
    group = opinion.merged_into
    outcome = handler(tx, who, opinion, arg, now)
    after = tx.opinion_get(opinion.id or 0)
    outcome.changed = [i for i in (opinion.id, group, after.merged_into if after else None) if i]
    return outcome


def _topic_menu(tx: Tx, opinion: Opinion) -> Reply:
    choices = tuple(Choice(name, button(opinion, "t", code)) for code, name in FIELDS.items())
    return Reply(f"Chọn lĩnh vực cho <b>{opinion.ref_code}</b>:", choices)


def _department_menu(tx: Tx, opinion: Opinion) -> Reply:
    default = tx.field_department(opinion.commune_code, opinion.topic or "khac")
    choices = [Choice(("⭐ " if code == default else "") + name, button(opinion, "a", code))
               for code, name in tx.departments_list(opinion.commune_code)]  # fmt: skip
    choices.sort(key=lambda c: not c.label.startswith("⭐"))
    return Reply(f"Giao <b>{opinion.ref_code}</b> cho đơn vị nào?", tuple(choices))


def _reject_menu(tx: Tx, opinion: Opinion) -> Reply:
    choices = tuple(Choice(text, button(opinion, "r", code))
                    for code, text in REJECT_REASONS.items())  # fmt: skip
    return Reply(f"Lý do không đưa <b>{opinion.ref_code}</b> ra hội nghị:", choices)


def _merge_menu(tx: Tx, opinion: Opinion) -> Reply:
    choices = []
    for code, score in similar_opinions(tx, opinion):
        target = tx.opinion_by_code(code)
        if target and target.id:
            label = f"{code} ({score:.2f})".replace(".", ",")
            choices.append(Choice(label, button(opinion, "m", str(target.id))))
    if not choices:
        return Reply(texts.NOTHING_TO_MERGE)
    return Reply(f"Gộp <b>{opinion.ref_code}</b> vào ý kiến nào?", tuple(choices))


def _path(start: OpinionState, target: OpinionState) -> list[OpinionState]:
    """The shortest legal way from one state to another among the queue's states (an
    override of a diverted item goes back through review, an assigned one through approved)."""
    seen, frontier = {start: [start]}, [start]
    while frontier:
        nxt = []
        for state in frontier:
            for step in TRANSITIONS[state]:
                if step not in seen and step in MODERATABLE:
                    seen[step] = [*seen[state], step]
                    nxt.append(step)
        frontier = nxt
    if target not in seen:
        raise InvalidTransition(start.value, target.value)
    return seen[target][1:]


def _move(opinion: Opinion, target: OpinionState, now: datetime) -> None:
    for step in _path(opinion.state, target):
        opinion.transition(step, now)


def _record(
    tx: Tx, who: Officer, opinion: Opinion, before: OpinionState, reason: str,
    detail: dict, now: datetime,
) -> None:  # fmt: skip
    assert opinion.id is not None
    opinion.version += 1
    opinion.updated_at = now
    tx.opinion_update(opinion)
    tx.opinion_events_add([OpinionEvent(opinion.id, before, opinion.state, who.actor, reason, now,
                                        detail)])  # fmt: skip


def _resident_chats(tx: Tx, opinion: Opinion) -> list[tuple[str, str]]:
    return tx.identities_of(opinion.resident_id)


def _tell_resident(tx: Tx, opinion: Opinion, reply: Reply) -> list[tuple[str, str, Reply]]:
    return [(ch, chat, reply) for ch, chat in _resident_chats(tx, opinion)]


def _done(tx: Tx, opinion: Opinion, message: str) -> list[Reply]:
    return [Reply(message), card(tx, opinion)]


def _approve(tx: Tx, who: Officer, opinion: Opinion, arg: str, now: datetime) -> Outcome:
    before = opinion.state
    if before is S.APPROVED:
        return Outcome([Reply(texts.NO_CHANGE)])
    _move(opinion, S.APPROVED, now)
    old_department = opinion.department
    opinion.department = opinion.department or tx.field_department(
        opinion.commune_code, opinion.topic or "khac")  # fmt: skip
    _record(tx, who, opinion, before, "Đưa vào chương trình hội nghị",
            {"department": [old_department, opinion.department]}, now)  # fmt: skip
    notify = _tell_resident(
        tx, opinion, Reply(texts.RESIDENT_APPROVED.format(code=opinion.ref_code))
    )
    return Outcome(_done(tx, opinion, f"Đã đưa {opinion.ref_code} vào chương trình."), notify)


def _assign(tx: Tx, who: Officer, opinion: Opinion, arg: str, now: datetime) -> Outcome:
    names = dict(tx.departments_list(opinion.commune_code))
    if arg not in names:
        return Outcome([Reply(texts.STALE_CHOICE)])
    before, old = opinion.state, opinion.department
    if before is not S.ASSIGNED:
        _move(opinion, S.ASSIGNED, now)
    opinion.department = arg
    notify = answers.on_assigned(tx, opinion, now)  # the deadline and the department's card
    _record(tx, who, opinion, before, f"Giao {names[arg]}", {"department": [old, arg]}, now)
    replies = _done(tx, opinion, f"Đã giao {opinion.ref_code} cho {esc(names[arg])}.")
    if not notify:  # nobody would ever see the card: say so now, not at the deadline
        replies.insert(1, Reply(texts.NO_DEPARTMENT_OFFICER.format(department=esc(names[arg]),
                                                                   code=arg)))  # fmt: skip
    if before is S.ASSIGNED and old and old != arg:  # the previous department stops
        moved = Reply(texts.ASSIGNMENT_MOVED.format(code=opinion.ref_code,
                                                    department=esc(names[arg])))  # fmt: skip
        notify += [(ch, chat, moved) for ch, chat in
                   tx.staff_with_role(opinion.commune_code, Role.DEPARTMENT, old)]  # fmt: skip
    if before not in (S.APPROVED, S.ASSIGNED):  # on the agenda by the assignment itself
        notify += _tell_resident(
            tx, opinion, Reply(texts.RESIDENT_APPROVED.format(code=opinion.ref_code))
        )
    return Outcome(replies, notify)


def _retag(tx: Tx, who: Officer, opinion: Opinion, arg: str, now: datetime) -> Outcome:
    if arg not in FIELDS or arg == opinion.topic:
        return Outcome([Reply(texts.NO_CHANGE)])
    old = opinion.topic
    corrected = record_correction(tx, opinion.ref_code, arg, opinion.kind or "kien_nghi",
                                  who.actor, now)  # fmt: skip
    opinion.topic, opinion.reasons = corrected.topic, corrected.reasons
    _record(tx, who, opinion, opinion.state, f"Đổi lĩnh vực: {FIELDS.get(old or '', old)}"
            f" → {FIELDS[arg]}", {"topic": [old, arg]}, now)  # fmt: skip
    return Outcome(_done(tx, opinion, f"Đã đổi lĩnh vực của {opinion.ref_code}."))


def _divert(kind: str):  # a handler per kind
    def handler(tx: Tx, who: Officer, opinion: Opinion, arg: str, now: datetime) -> Outcome:
        before, old_kind = opinion.state, opinion.kind
        if before is S.DIVERTED and old_kind == kind:
            return Outcome([Reply(texts.NO_CHANGE)])
        corrected = record_correction(tx, opinion.ref_code, opinion.topic or "khac", kind,
                                      who.actor, now)  # fmt: skip
        opinion.kind, opinion.reasons = corrected.kind, corrected.reasons
        if before is not S.DIVERTED:
            _move(opinion, S.DIVERTED, now)
        _record(tx, who, opinion, before, f"Chuyển quy trình tiếp công dân ({KINDS[kind]})",
                {"kind": [old_kind, kind]}, now)  # fmt: skip
        commune = tx.commune_get(opinion.commune_code)
        reception = (commune.reception if commune else "") or texts.RECEPTION_DEFAULT.format(
            commune=commune.name if commune else "xã/phường"
        )
        tell = Reply(texts.RESIDENT_DIVERTED.format(code=opinion.ref_code,
                     kind=esc(KINDS[kind].lower()), reception=esc(reception)))  # fmt: skip
        return Outcome(
            _done(tx, opinion, f"Đã chuyển {opinion.ref_code}: {KINDS[kind]}.")
            + new_head_of_group(tx, opinion, who.actor, now),
            _tell_resident(tx, opinion, tell),
        )

    return handler


def _reject(tx: Tx, who: Officer, opinion: Opinion, arg: str, now: datetime) -> Outcome:
    reason = REJECT_REASONS.get(arg)
    if reason is None:
        return Outcome([Reply(texts.STALE_CHOICE)])
    before = opinion.state
    _move(opinion, S.REJECTED, now)
    _record(tx, who, opinion, before, reason, {}, now)
    tell = Reply(texts.RESIDENT_REJECTED.format(code=opinion.ref_code, reason=esc(reason)))
    return Outcome(
        _done(tx, opinion, f"Đã không đưa {opinion.ref_code} ra hội nghị.")
        + new_head_of_group(tx, opinion, who.actor, now),
        _tell_resident(tx, opinion, tell),
    )


def _merge(tx: Tx, who: Officer, opinion: Opinion, arg: str, now: datetime) -> Outcome:
    target = tx.opinion_get(int(arg)) if arg.isdigit() else None
    if target is None or target.commune_code != opinion.commune_code or target.id == opinion.id:
        return Outcome([Reply(texts.STALE_CHOICE)])
    while target.merged_into:  # merge into the head of a group, never into a member
        nxt = tx.opinion_get(target.merged_into)
        if nxt is None:
            break
        target = nxt
    before, old = opinion.state, opinion.merged_into
    _move(opinion, S.MERGED, now)
    opinion.merged_into = target.id
    _record(tx, who, opinion, before, f"Gộp vào {target.ref_code}",
            {"merged_into": [old, target.id]}, now)  # fmt: skip
    moved = regroup(tx, opinion, target, who.actor, now)  # its own members come along
    tell = Reply(texts.RESIDENT_MERGED.format(code=opinion.ref_code, target=target.ref_code))
    done = f"Đã gộp {opinion.ref_code} vào {target.ref_code}" + (
        f" (cùng {moved} ý kiến đã gộp vào {opinion.ref_code})." if moved else "."
    )
    return Outcome(_done(tx, opinion, done), _tell_resident(tx, opinion, tell))


def new_head_of_group(tx: Tx, head: Opinion, actor: str, now: datetime) -> list[Reply]:
    """When a group's head leaves the agenda: what the Front reads about its new head."""
    new_head = release_members(tx, head, actor, now)
    if new_head is None or new_head.id is None:
        return []
    count = len(tx.merged_members(new_head.id))
    note = Reply(texts.GROUP_NEW_HEAD.format(old=head.ref_code, new=new_head.ref_code,
                                             count=count))  # fmt: skip
    return [note, card(tx, new_head)]


def group_left_notices(tx: Tx, head: Opinion, actor: str, now: datetime) -> list[Notice]:
    """The same, sent to the Front, when the head left through its resident (withdrawn)."""
    replies = new_head_of_group(tx, head, actor, now)
    return [(ch, chat, reply) for ch, chat in front_chats(tx, head.commune_code)
            for reply in replies]  # fmt: skip


def _undo(tx: Tx, who: Officer, opinion: Opinion, arg: str, now: datetime) -> Outcome:
    assert opinion.id is not None
    history = tx.opinion_history(opinion.id)
    last = history[-1] if history else None
    if (last is None or last.actor != who.actor or now - last.at > UNDO_WINDOW
            or last.detail.get("undo")):  # fmt: skip
        return Outcome([Reply(texts.NOTHING_TO_UNDO)])
    before = opinion.state
    if last.from_state is not None and last.from_state is not opinion.state:
        _move(opinion, last.from_state, now)
    for name, (old, _new) in last.detail.items():
        setattr(opinion, name, old)
    _record(tx, who, opinion, before, f"Hoàn tác: {last.reason}", {"undo": last.id}, now)
    return Outcome(_done(tx, opinion, f"Đã hoàn tác thao tác trên {opinion.ref_code}."))


ACTIONS = {
    "ok": _approve,
    "a": _assign,
    "t": _retag,
    "kn": _divert("khieu_nai"),
    "tc": _divert("to_cao"),
    "r": _reject,
    "m": _merge,
    "un": _undo,
}


# -- commands ------------------------------------------------------------------------------
def queue(tx: Tx, who: Officer, args: str, page: int = 0) -> list[Reply]:
    """`/queue [field code | unsure]`: what waits for review, oldest first, a page of cards."""
    communes = who.front_communes()
    if not communes:
        return [Reply(texts.NOT_ALLOWED)]
    topic = args.strip() or None
    unsure = topic == "unsure"
    village = None
    if topic and not unsure and topic not in FIELDS:  # a village / residential group?
        village, topic = fold(topic), None
    found: list[Opinion] = []
    for code in communes:
        found += tx.opinions_queue(code, [S.PENDING_REVIEW.value], None if unsure else topic,
                                   500, 0)  # fmt: skip
    if village:
        found = [o for o in found if (r := tx.resident_get(o.resident_id))
                 and village in fold(r.village_name)]  # fmt: skip
        if not found:
            return [Reply(texts.QUEUE_FILTERS.format(fields=", ".join(FIELDS)))]
    if unsure:
        from nlp.screening import UNSURE_BELOW

        found = [o for o in found if (o.confidence or 0) < UNSURE_BELOW]
    found.sort(key=lambda o: o.id or 0)
    shown = found[page * QUEUE_PAGE : (page + 1) * QUEUE_PAGE]
    if not shown:
        return [Reply(texts.QUEUE_EMPTY)]
    replies = [Reply(texts.QUEUE_HEADER.format(total=len(found), first=page * QUEUE_PAGE + 1,
                                               last=page * QUEUE_PAGE + len(shown)))]  # fmt: skip
    replies += [card(tx, o) for o in shown]
    if len(found) > (page + 1) * QUEUE_PAGE:
        replies.append(
            Reply(texts.QUEUE_MORE, (Choice("Xem tiếp", f"q:{page + 1}:{args.strip()}"),))
        )
    return replies


def stats(tx: Tx, who: Officer, now: datetime) -> list[Reply]:
    communes = who.front_communes() or sorted(
        {r.commune_code for r in who.roles if r.role is Role.OFFICE and r.commune_code}
    )
    if not communes:
        return [Reply(texts.NOT_ALLOWED)]
    replies = []
    for code in communes:
        commune = tx.commune_get(code)
        session = tx.session_open(code, now) or tx.session_upcoming(code, now)
        counts = tx.opinion_counts(code, session.id if session else None)
        by_state: dict[str, int] = {}
        by_topic: dict[str, int] = {}
        for state, topic, n in counts:
            by_state[state] = by_state.get(state, 0) + n
            by_topic[topic] = by_topic.get(topic, 0) + n
        title = session.title if session else "Ý kiến chưa gắn kỳ đối thoại"
        lines = [
            f"<b>{esc(commune.name if commune else code)}</b> — {esc(title)}",
            f"Tổng số: {sum(by_state.values())}",
            "",
            "<b>Theo tình trạng</b>",
        ]
        lines += [f"• {esc(texts.STATE_NAMES[S(s)])}: {n}" for s, n in sorted(by_state.items())]
        lines += ["", "<b>Theo lĩnh vực</b>"]
        lines += [f"• {esc(FIELDS.get(t, t))}: {n}"
                  for t, n in sorted(by_topic.items(), key=lambda kv: -kv[1])]  # fmt: skip
        replies.append(Reply("\n".join(lines)))
    return replies


def history(tx: Tx, who: Officer, args: str) -> list[Reply]:
    from bot.model import normalise_ref_code

    code = normalise_ref_code(args)
    opinion = tx.opinion_by_code(code) if code else None
    if opinion is None or opinion.id is None or not who.front_of(opinion.commune_code):
        return [Reply(texts.HISTORY_NOT_FOUND)]
    lines = [f"<b>Lịch sử {opinion.ref_code}</b>"]
    for e in tx.opinion_history(opinion.id):
        move = (f"{texts.STATE_NAMES[e.from_state]} → " if e.from_state else "") + \
            texts.STATE_NAMES[e.to_state]  # fmt: skip
        lines.append(f"• {to_local(e.at):%d/%m %H:%M} · {esc(e.actor)} · {esc(move)}"
                     + (f" · {esc(e.reason[:200])}" if e.reason else ""))  # fmt: skip
    return [Reply("\n".join(lines)[:4000])]
