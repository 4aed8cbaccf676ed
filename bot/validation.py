"""Rules for what a resident types during registration and intake."""

from __future__ import annotations

import re

from bot import texts
from bot.errors import ValidationError
from nlp.normalize import clean_text, fold

MAX_OPINION_CHARS = 4096  # Telegram's own limit: whatever it delivers fits
MIN_OPINION_WORDS = 3
MAX_NAME_CHARS = 80

_NAME_CHARS = re.compile(r"^[^\W\d_]+(?:[ .'\-][^\W\d_]+)*\.?$")
_PHONE_SEPARATORS = re.compile(r"[\s.\-()]")
# Mobile: 03x, 05x, 07x, 08x, 09x + 7 digits; landline: 02xx + 8 digits.
_MOBILE = re.compile(r"^0[35789]\d{8}$")
_LANDLINE = re.compile(r"^02\d{9}$")


def full_name(raw: str) -> str:
    name = clean_text(raw).replace("\n", " ")
    if not name:
        raise ValidationError(texts.NAME_EMPTY)
    if len(name) > MAX_NAME_CHARS or not _NAME_CHARS.match(name):
        raise ValidationError(texts.NAME_INVALID)
    if len(name.split()) < 2:
        raise ValidationError(texts.NAME_TOO_SHORT)
    # "nguyễn văn an" -> "Nguyễn Văn An": names are stored as people write them on forms.
    return " ".join(part[:1].upper() + part[1:] for part in name.split())


def phone(raw: str) -> str:
    """A Vietnamese phone number in national form (0xxxxxxxxx), or ValidationError."""
    digits = _PHONE_SEPARATORS.sub("", clean_text(raw))
    if digits.startswith("+84"):
        digits = "0" + digits[3:]
    elif digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    if _MOBILE.match(digits) or _LANDLINE.match(digits):
        return digits
    raise ValidationError(texts.PHONE_INVALID)


def opinion_text(raw: str) -> str:
    text = clean_text(raw)
    if not text:
        raise ValidationError(texts.OPINION_EMPTY)
    if len(text) > MAX_OPINION_CHARS:
        raise ValidationError(
            texts.OPINION_TOO_LONG.format(limit=f"{MAX_OPINION_CHARS:,}".replace(",", "."))
        )
    if len(text.split()) < MIN_OPINION_WORDS:
        raise ValidationError(texts.OPINION_TOO_SHORT)
    return text


_YES_WORDS = frozenset({"co", "ok", "oke", "okay", "okie", "vang", "yes", "u", "uh", "um",
                        "xoa", "rut", "chac", "dongy", "duoc", "dc", "gui"})  # fmt: skip
_NO_WORDS = frozenset({"khong", "ko", "k", "kg", "hong", "thoi", "huy", "no", "giu", "chua"})
_MAX_ANSWER_WORDS = 6  # longer than that it is a sentence, not an answer to a yes/no question


def yes_no(raw: str) -> bool | None:
    """A typed answer to a yes/no question, with or without diacritics: True ("đồng ý",
    "có", "ok", "vâng", "xóa hết", "rút"), False ("không", "thôi", "hủy", "giữ lại"), None
    when it is neither or is a whole sentence (then the question is asked again)."""
    words = re.findall(r"\w+", fold(clean_text(raw)).lower().replace("dong y", "dongy"))
    if not words or len(words) > _MAX_ANSWER_WORDS:
        return None
    if any(w in _NO_WORDS for w in words):
        return False
    if any(w in _YES_WORDS for w in words) or words == ["da"]:
        return True
    return None
