"""One resident on several channels: accounts linked by a one-time code, and where the
announcements and answers go.

A phone number alone proves nothing (anyone can type someone else's), so the code goes to the
account that is already registered with that number, and is typed on the new one. The reply to
a request is the same whether or not the number is registered: nobody learns who uses the bot.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot import texts
from bot.messages import Choice, Reply
from bot.model import Resident
from bot.ports import Tx

CODE_TTL = timedelta(minutes=10)
MAX_TRIES = 5  # wrong codes per code
MAX_CODES_PER_HOUR = 3  # per registered resident: nobody can flood someone with codes
MAX_CANDIDATES = 3  # residents sharing one phone number (a family) each get their own code

Notice = tuple[str, str, Reply]  # channel, chat id, message


@dataclass
class LinkRequest:
    notices: list[Notice] = field(default_factory=list)
    too_many: bool = False  # a code was due but the hourly allowance is used up


@dataclass
class LinkOutcome:
    resident: Resident | None = None  # linked to this resident
    refusal: str = ""  # what to tell the person otherwise
    retry: bool = False  # the code was wrong but they may type it again


def _hash(code: str, channel: str, user_key: str) -> str:
    return hashlib.sha256(f"{channel}:{user_key}:{code}".encode()).hexdigest()


def channel_name(channel: str) -> str:
    return texts.CHANNEL_NAMES.get(channel, channel)


def request(
    tx: Tx, channel: str, user_key: str, phone: str, current: Resident | None, now: datetime
) -> LinkRequest:
    """Send a code to the other accounts of each resident registered with this phone."""
    outcome = LinkRequest()
    for resident in tx.residents_by_phone(phone)[:MAX_CANDIDATES]:
        assert resident.id is not None
        if current is not None and current.id == resident.id:
            continue
        reachable = [
            i
            for i in tx.identities_list(resident.id)
            if i.reachable and (i.channel, i.user_key) != (channel, user_key)
        ]
        if not reachable:
            continue
        if tx.link_codes_sent(resident.id, now - timedelta(hours=1)) >= MAX_CODES_PER_HOUR:
            outcome.too_many = True
            continue
        code = f"{secrets.randbelow(10**6):06d}"
        tx.link_code_add(resident.id, channel, user_key, _hash(code, channel, user_key), now,
                         now + CODE_TTL)  # fmt: skip
        message = Reply(texts.LINK_CODE_MESSAGE.format(code=code, channel=channel_name(channel)))
        outcome.notices += [(i.channel, i.chat_id, message) for i in reachable]
    return outcome


def confirm(
    tx: Tx,
    channel: str,
    user_key: str,
    chat_id: str,
    current: Resident | None,
    typed: str,
    now: datetime,
) -> LinkOutcome:
    """Check a typed code; if right, this account joins the resident the code was sent to
    (a resident already registered here is folded into that one: one history)."""
    codes = [c for c in tx.link_codes_open(channel, user_key, now) if c.tries < MAX_TRIES]
    if not codes:
        return LinkOutcome(refusal=texts.LINK_EXPIRED)
    digits = re.sub(r"\D", "", typed)
    for code in codes:
        if hmac.compare_digest(code.code_hash, _hash(digits, channel, user_key)):
            tx.link_code_mark(code.id, now, used=True)
            return _link(tx, channel, user_key, chat_id, current, code.resident_id, now)
    for code in codes:
        tx.link_code_mark(code.id, now, used=False)
    left = MAX_TRIES - 1 - max(c.tries for c in codes)
    if left <= 0:
        return LinkOutcome(refusal=texts.LINK_EXPIRED)
    return LinkOutcome(refusal=texts.LINK_WRONG_CODE.format(left=left), retry=True)


def _link(
    tx: Tx,
    channel: str,
    user_key: str,
    chat_id: str,
    current: Resident | None,
    target_id: int,
    now: datetime,
) -> LinkOutcome:
    target = tx.resident_get(target_id)
    if target is None or target.erased_at is not None:
        return LinkOutcome(refusal=texts.LINK_EXPIRED)
    if current is not None and current.id == target_id:
        return LinkOutcome(refusal=texts.LINK_ALREADY)
    before = [i.channel for i in tx.identities_list(target_id) if i.announce]
    if current is None:
        tx.identity_add(channel, user_key, chat_id, target_id, now, announce=False)
    else:
        assert current.id is not None
        tx.resident_merge(current.id, target_id, now)
    # Until they choose, announcements keep going where they went: never to both at once.
    tx.announce_set(target_id, before or [channel])
    return LinkOutcome(resident=target)


def channels_of(tx: Tx, resident_id: int) -> list[str]:
    """The resident's channels, in the order they joined them."""
    seen: list[str] = []
    for identity in tx.identities_list(resident_id):
        if identity.channel not in seen:
            seen.append(identity.channel)
    return seen


def announce_choices(tx: Tx, resident_id: int) -> tuple[Choice, ...]:
    channels = channels_of(tx, resident_id)
    if len(channels) < 2:
        return ()
    only = [Choice(texts.ANNOUNCE_ONLY.format(channel=channel_name(c)), f"notify:{c}")
            for c in channels]  # fmt: skip
    names = " và ".join(channel_name(c) for c in channels)
    return (*only, Choice(texts.ANNOUNCE_ALL.format(channels=names), "notify:all"))


def announce_to(tx: Tx, resident_id: int) -> str:
    """Where announcements and answers go now, in words."""
    reached = {channel for channel, _ in tx.identities_of(resident_id)}
    return " và ".join(channel_name(c) for c in channels_of(tx, resident_id) if c in reached)


def set_announce(tx: Tx, resident_id: int, choice: str) -> str | None:
    """Apply `notify:<channel>` or `notify:all`; returns the new channels in words, or None
    for a choice that does not match the resident's channels."""
    channels = channels_of(tx, resident_id)
    wanted = channels if choice == "all" else [choice]
    if not wanted or not set(wanted) <= set(channels):
        return None
    tx.announce_set(resident_id, wanted)
    return announce_to(tx, resident_id)
