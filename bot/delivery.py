"""Putting messages in the outbox, and keeping officers' cards true after they were sent.

A card (`Reply.card_of`) is remembered per chat (`card_copies`). When a newer card of the
same opinion goes to a chat, the older ones there lose their buttons and say they are old;
when the opinion changes (`bot.cards.refresh`), the newest card in each chat is edited in
place. An edit is an outbox row too (`{"edit": <outbox id of the card>, ...}`), sent in order
with the chat's other messages, so it never overtakes the card it edits.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot import texts
from bot.messages import Reply
from bot.ports import CardCopy, Tx


def queue(
    tx: Tx,
    channel: str,
    chat_id: str,
    reply: Reply,
    now: datetime,
    source_event: str | None = None,
    lease_until: datetime | None = None,
    lease_owner: str | None = None,
) -> int:
    """Add one message to the outbox; returns its id."""
    payload = reply.payload()
    message_id = tx.outbox_add(channel, chat_id, payload, now, source_event=source_event,
                               lease_until=lease_until, lease_owner=lease_owner)  # fmt: skip
    if reply.card_of is not None:
        for old in tx.card_copies(reply.card_of):
            if (old.channel, old.chat_id) == (channel, chat_id) and not old.retired:
                show(tx, old, stale(old.payload), now, retire=True)
        tx.card_copy_add(message_id, reply.card_of, channel, chat_id, payload)
    return message_id


def show(tx: Tx, copy: CardCopy, payload: dict[str, Any], now: datetime, retire: bool) -> None:
    """Make a card already queued or sent show `payload` instead."""
    if payload == copy.payload and not retire:
        return
    if copy.payload != payload and not tx.outbox_replace_pending(copy.outbox_id, payload):
        edit = {"edit": copy.outbox_id, "text": payload["text"],
                "choices": payload.get("choices") or []}  # fmt: skip
        tx.outbox_add(copy.channel, copy.chat_id, edit, now)
    tx.card_copy_update(copy.outbox_id, payload, retired=retire)


def stale(payload: dict[str, Any]) -> dict[str, Any]:
    """An older card of an opinion: what it said, no buttons, and where the newer one is."""
    text = payload["text"]
    if not text.endswith(texts.CARD_STALE):
        text = text + "\n\n" + texts.CARD_STALE
    return {"text": text, "choices": [], **({"card_of": payload["card_of"]}
                                           if "card_of" in payload else {})}  # fmt: skip
