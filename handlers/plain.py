"""Replies as plain text, for channels without formatting or buttons (Zalo, the console).

Choices become a numbered list; the core maps a typed number back to the choice
(`Conversation._numbered_choice`), so no handler needs to know which channel has buttons.
"""

from __future__ import annotations

import html
import re
from typing import Any

from bot import texts

_TAGS = re.compile(r"</?(b|i|code|u|s)>")


def to_plain(text: str) -> str:
    """Our HTML subset as plain text."""
    return html.unescape(_TAGS.sub("", text))


def numbered(payload: dict[str, Any]) -> str:
    """A reply with its choices as "Gõ 1: ...", one per line."""
    text = to_plain(payload.get("text", ""))
    if payload.get("files"):  # a plain-text channel cannot carry another channel's files
        text += "\n\n" + texts.FILES_ELSEWHERE.format(count=len(payload["files"]))
    choices = payload.get("choices") or []
    if choices:
        lines = [f"Gõ {i}: {label}" for i, (label, _) in enumerate(choices, start=1)]
        text += "\n\n" + "\n".join(lines)
    return text


def split(text: str, limit: int) -> list[str]:
    """Cut a long text into parts of at most `limit` characters, at paragraph or line ends
    where possible (Zalo takes 2,000 characters per message)."""
    parts: list[str] = []
    while len(text) > limit:
        cut = max(text.rfind("\n\n", 0, limit), text.rfind("\n", 0, limit))
        if cut < limit // 2:
            cut = text.rfind(" ", 0, limit)
        if cut < limit // 2:
            cut = limit
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text or not parts:
        parts.append(text)
    return parts
