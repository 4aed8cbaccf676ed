"""The Front's cards: what an officer sees of an opinion, and where it is sent.

Below both the moderation queue and the answers' lifecycle, which send cards and imports
neither: `bot.moderation` and `bot.answers` import this module, never each other in a circle.
A card is a `Reply` whose choices carry `m:<opinion id>:<version>:<action>[:<arg>]`.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime

from bot import delivery, texts
from bot.clock import to_local
from bot.messages import Choice, Reply
from bot.model import Opinion, Role
from bot.ports import Tx
from bot.services import similar_opinions
from bot.texts import esc
from nlp.labels import FIELDS, KINDS


def front_chats(tx: Tx, commune_code: int) -> list[tuple[str, str]]:
    """Where a commune's Front gets its cards and notices: its group, or each officer."""
    commune = tx.commune_get(commune_code)
    if commune and commune.front_chat:
        channel, _, chat = commune.front_chat.partition(":")
        return [(channel, chat)]
    return tx.staff_with_role(commune_code, Role.FRONT, None)


def button(opinion: Opinion, action: str, arg: str = "") -> str:
    return f"m:{opinion.id}:{opinion.version}:{action}" + (f":{arg}" if arg else "")


def card(tx: Tx, opinion: Opinion) -> Reply:
    """The card an officer works from: everything needed to decide, and the actions."""
    resident = tx.resident_get(opinion.resident_id)
    where = " · ".join(
        x for x in (
            resident.village_name if resident else "",
            texts.ORGANISATION_SHORT.get(resident.organisation.value, "") if resident else "",
            f"{to_local(opinion.created_at):%d/%m %H:%M}",
        ) if x
    )  # fmt: skip
    lines = [
        f"<b>{opinion.ref_code}</b> · {esc(texts.STATE_NAMES[opinion.state])}",
        esc(where),
        f"Lĩnh vực: <b>{esc(FIELDS.get(opinion.topic or 'khac', ''))}</b>"
        + (f" ({opinion.confidence:.2f})".replace(".", ",") if opinion.confidence is not None
           else ""),
        f"Loại: <b>{esc(KINDS.get(opinion.kind or 'kien_nghi', ''))}</b>",
    ]  # fmt: skip
    lines += [f"• {esc(r)}" for r in opinion.reasons[:4]]
    text = opinion.text if len(opinion.text) <= 1500 else opinion.text[:1499] + "…"
    lines.append(f"«{esc(text)}»")
    if opinion.photo_ref:  # "<channel>:<ref>"; Zalo's ref is an address officers can open
        ref = opinion.photo_ref.partition(":")[2]
        lines.append(f"(kèm ảnh: {esc(ref)})" if ref.startswith("https://") else "(kèm ảnh)")
    if opinion.department:
        lines.append(f"Đơn vị: {esc(_department_name(tx, opinion))}")
    if opinion.merged_into:
        target = tx.opinion_get(opinion.merged_into)
        lines.append(f"Đã gộp vào {target.ref_code if target else opinion.merged_into}")
    alike = similar_opinions(tx, opinion) if opinion.id else []
    if alike:
        lines.append("Tương tự: " + ", ".join(
            f"{code} ({score:.2f})".replace(".", ",") for code, score in alike))  # fmt: skip
    choices = [
        Choice("✅ Đưa vào ch.trình", button(opinion, "ok")),
        Choice("🏢 Giao đơn vị", button(opinion, "as")),
        Choice("🏷 Đổi lĩnh vực", button(opinion, "tp")),
        Choice("🚫 Không đưa ra", button(opinion, "rj")),
        Choice("⚖ Khiếu nại", button(opinion, "kn")),
        Choice("⚖ Tố cáo", button(opinion, "tc")),
    ]
    if alike:
        choices.append(Choice("🔗 Gộp", button(opinion, "mg")))
    choices.append(Choice("↩ Hoàn tác", button(opinion, "un")))
    return Reply("\n".join(lines), tuple(choices), card_of=opinion.id)


def _department_name(tx: Tx, opinion: Opinion) -> str:
    names = dict(tx.departments_list(opinion.commune_code))
    return names.get(opinion.department or "", opinion.department or "")


def cards_for_new(tx: Tx, opinion: Opinion) -> list[tuple[str, str, Reply]]:
    """A new screened opinion goes to the commune's Front: its group, or each officer."""
    recipients = front_chats(tx, opinion.commune_code)
    if not recipients:
        return []
    the_card = card(tx, opinion)
    return [(channel, chat, the_card) for channel, chat in recipients]


def refresh(tx: Tx, opinion_ids: Iterable[int], now: datetime, fresh: Collection[int]) -> int:
    """After opinions changed: the newest card of each in every chat shows them as they are
    now (edited in place), unless that card was queued in this very unit of work (`fresh`
    outbox ids). Returns how many cards were changed."""
    changed = 0
    for opinion_id in dict.fromkeys(opinion_ids):
        opinion = tx.opinion_get(opinion_id)
        copies = tx.card_copies(opinion_id)
        if opinion is None or not copies:
            continue
        current = card(tx, opinion).payload()
        newest = {}
        for copy in copies:  # oldest first: the last one per chat wins
            if not copy.retired:
                newest[(copy.channel, copy.chat_id)] = copy
        for copy in newest.values():
            if copy.outbox_id in fresh or copy.payload == current:
                continue
            delivery.show(tx, copy, current, now, retire=False)
            changed += 1
    return changed
