"""Choices typed instead of pressed: "2" for the second choice, or the choice's own words.

Zalo and the console have no buttons, and many people prefer typing anyway. Typed words are
matched with or without diacritics; where the step expects only its choices (`CHOICE_STEPS`)
a part of a label is enough ("nông dân" for "Hội Nông dân"), elsewhere only the whole label
is taken, so that an opinion is never mistaken for a button.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot.messages import Inbound, InboundKind
from bot.ports import Tx
from nlp.normalize import fold

MAX_TYPED_WORDS = 8  # a longer text is a sentence, not a choice


def numbered(tx: Tx, inbound: Inbound) -> Inbound:
    """'2' typed after a list of choices means its second choice. The list is the one last
    sent to this chat, whether a reply, a notice or an announcement."""
    text = inbound.text.strip().rstrip(".)").strip()  # "2", "2." and "2)" alike
    if inbound.kind is not InboundKind.TEXT or not text.isdigit() or len(text) > 2:
        return inbound
    offered = tx.last_offered(inbound.channel, inbound.chat_id)
    if not 1 <= int(text) <= len(offered):
        return inbound
    return replace(inbound, kind=InboundKind.CHOICE, text="", choice=offered[int(text) - 1],
                   typed=True)


def words(text: str) -> list[str]:
    return re.findall(r"[^\W_]+", fold(text).lower())


def labelled(inbound: Inbound, labels: list[str], values: list[str], loose: bool) -> Inbound:
    """The choice whose label was typed, if exactly one matches."""
    if inbound.kind is not InboundKind.TEXT or len(labels) != len(values):
        return inbound
    typed = words(inbound.text)
    if not typed or len(typed) > MAX_TYPED_WORDS:
        return inbound
    names = [words(label) for label in labels]
    found = [i for i, name in enumerate(names) if name == typed]
    if not found and loose:
        found = [i for i, name in enumerate(names) if _within(typed, name)]
        if not found:
            found = [i for i, name in enumerate(names) if name and _within(name, typed)]
    if len(found) != 1:
        return inbound
    return replace(inbound, kind=InboundKind.CHOICE, text="", choice=values[found[0]],
                   typed=True)


def _within(part: list[str], whole: list[str]) -> bool:
    n = len(part)
    return any(whole[i : i + n] == part for i in range(len(whole) - n + 1))
