"""Telegram's length limit counts what the reader sees, not the HTML we send.

A message may carry at most 4,096 characters *after entity parsing* (UTF-16 code units), so
escaped text (`&lt;` is one character) and tags (none) must be measured as Telegram does,
and a long message is split at paragraph, line, sentence or word ends, never inside a tag
or an entity, with the open tags closed at the end of a part and opened again in the next.
"""

from __future__ import annotations

import re

LIMIT = 4096
_TOKEN = re.compile(r"<[^<>]*>|&#?\w+;|[^<&]+|[<&]")
_TAG_NAME = re.compile(r"</?\s*([a-zA-Z][\w-]*)")


def _units(text: str) -> int:
    """Length in UTF-16 code units (an emoji outside the BMP counts two)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _atoms(html: str) -> list[tuple[str, str, int]]:
    """(kind, source, visible units): kind is 'open', 'close' or 'char'."""
    atoms: list[tuple[str, str, int]] = []
    for match in _TOKEN.finditer(html):
        token = match.group()
        if token.startswith("<") and len(token) > 1:
            atoms.append(("close" if token.startswith("</") else "open", token, 0))
        elif token.startswith("&") and len(token) > 1:
            atoms.append(("char", token, 1))
        else:
            atoms.extend(("char", ch, _units(ch)) for ch in token)
    return atoms


def visible_length(html: str) -> int:
    return sum(units for _, _, units in _atoms(html))


def _stack_after(atoms: list[tuple[str, str, int]], end: int, stack: list[str]) -> list[str]:
    stack = list(stack)
    for kind, source, _ in atoms[:end]:
        if kind == "open":
            stack.append(source)
        elif kind == "close" and stack:
            stack.pop()
    return stack


def _closing(stack: list[str]) -> str:
    names = [m.group(1) for tag in stack if (m := _TAG_NAME.match(tag))]
    return "".join(f"</{name}>" for name in reversed(names))


def _break_at(atoms: list[tuple[str, str, int]], start: int, budget: int) -> int:
    """The end (exclusive) of a part starting at `start` whose visible length fits."""
    used, end = 0, start
    while end < len(atoms) and used + atoms[end][2] <= budget:
        used += atoms[end][2]
        end += 1
    if end == len(atoms):
        return end
    text = [a[1] if a[0] == "char" else "" for a in atoms[start:end]]
    joined = "".join(ch if len(ch) == 1 else "x" for ch in text)  # one slot per atom
    floor = len(joined) // 3  # don't make parts tiny just to end on a nice boundary
    for mark in ("\n\n", "\n", ". ", "! ", "? ", "; ", " "):
        at = joined.rfind(mark)
        if at > floor:
            return start + at + len(mark)
    return end


def split_html(html: str, limit: int = LIMIT) -> list[str]:
    """The message as parts of at most `limit` visible characters, each valid HTML; more
    than one part are numbered "(1/3)" at their end."""
    atoms = _atoms(html)
    if sum(units for _, _, units in atoms) <= limit:
        return [html]
    budget = limit - len(" (99/99)") - 1
    spans: list[tuple[int, int]] = []
    start = 0
    while start < len(atoms):
        while start < len(atoms) and atoms[start][0] == "char" and atoms[start][1] in " \n":
            start += 1  # a part does not begin with the blank that ended the last one
        if start >= len(atoms):
            break
        end = _break_at(atoms, start, budget)
        if end <= start:
            end = start + 1
        spans.append((start, end))
        start = end
    parts, stack = [], []
    for i, (start, end) in enumerate(spans, start=1):
        body = "".join(source for _, source, _ in atoms[start:end]).rstrip(" \n")
        after = _stack_after(atoms[start:end], end - start, stack)
        parts.append("".join(stack) + body + _closing(after) + f"\n({i}/{len(spans)})")
        stack = after
    return parts
