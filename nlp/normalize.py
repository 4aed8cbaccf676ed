"""Normalisation of what residents type, before anything is stored as an opinion."""

from __future__ import annotations

import re
import unicodedata

# Invisible characters that phones and copy-paste insert: zero-width, BOM, bidi marks.
_INVISIBLE = dict.fromkeys(
    map(ord, "\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u00ad"),
    None,
)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")


def clean_text(text: str) -> str:
    """NFC, no invisible or control characters, no stray combining marks, tidy whitespace.

    Vietnamese keyboards and copy-paste produce both NFC and NFD text; storing NFC makes search,
    duplicates and the classifier see one spelling. After NFC every Vietnamese letter is
    precomposed, so a combining mark that is still alone is noise (e.g. "Zalgo" text) and goes.
    """
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    kept = []
    for ch in text:
        cat = unicodedata.category(ch)
        if ch in "\n\t":
            kept.append(ch)
        elif cat in ("Cc", "Cf", "Cs", "Co", "Cn") or cat == "Mn":
            continue
        else:
            kept.append(ch)
    text = "".join(kept).replace("\r", "")
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()


def fold(text: str) -> str:
    """Lower case without diacritics ('Giao Minh' == 'giao minh' == 'giáo mính'): for search."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d").replace("Đ", "d"))
    stripped = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return _SPACES.sub(" ", stripped).strip()
