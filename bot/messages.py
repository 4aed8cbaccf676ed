"""What the core receives from a channel and what it answers, independent of any messenger."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class InboundKind(StrEnum):
    TEXT = "text"
    PHOTO = "photo"  # text holds the caption, if any
    COMMAND = "command"  # command without "/", args in `text`
    CHOICE = "choice"  # a button press or a numbered reply, value in `choice`
    FILE = "file"  # a document (PDF, scan): photo_ref holds its reference, text its caption
    UNSUPPORTED = "unsupported"  # sticker, voice, location, file...
    IGNORED = "ignored"  # nothing to answer (edits, membership changes)


@dataclass(frozen=True)
class Inbound:
    channel: str  # "telegram", "console", later "zalo"
    event_key: str  # unique per channel (Telegram: update_id): the idempotency key
    user_key: str  # the person's id on that channel
    chat_id: str  # where answers go
    kind: InboundKind
    received_at: datetime
    text: str = ""
    command: str | None = None
    choice: str | None = None
    photo_ref: str | None = None
    group: bool = False  # sent in a group chat, not a private one
    typed: bool = False  # a CHOICE the person typed (its number or words), not pressed


@dataclass(frozen=True)
class Choice:
    label: str
    value: str  # short and ASCII: it travels as Telegram callback data (64 bytes at most)


@dataclass(frozen=True)
class Reply:
    text: str  # HTML subset, dynamic values escaped with texts.esc
    choices: tuple[Choice, ...] = ()
    files: tuple[str, ...] = ()  # attachments, as "<channel>:<ref>" / "<channel>-doc:<ref>"
    card_of: int | None = None  # the Front's card of this opinion: kept up to date once sent

    def payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"text": self.text,
                                   "choices": [[c.label, c.value] for c in self.choices]}
        if self.files:
            payload["files"] = list(self.files)
        if self.card_of is not None:
            payload["card_of"] = self.card_of
        return payload
