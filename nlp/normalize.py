"""Normalisation of what residents type, before anything is stored as an opinion."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Invisible characters that phones and copy-paste insert: zero-width, BOM, bidi marks.
_INVISIBLE = dict.fromkeys(
    map(ord, "\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u00ad"),
    None,
)
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_MANY_NEWLINES = re.compile(r"\n{3,}")


def _unwanted_class() -> re.Pattern[str]:
    """Control, format, surrogate, private-use and unassigned characters, and combining marks
    (in the Basic Multilingual Plane, where they occur in practice), except newline and tab."""
    unwanted = [
        chr(c) for c in range(0x10000)
        if unicodedata.category(chr(c)) in ("Cc", "Cf", "Cs", "Co", "Cn", "Mn")
        and chr(c) not in "\n\t"
    ]  # fmt: skip
    return re.compile("[" + "".join(re.escape(ch) for ch in unwanted) + "]")


_UNWANTED = _unwanted_class()


def clean_text(text: str) -> str:
    """NFC, no invisible or control characters, no stray combining marks, tidy whitespace.

    Vietnamese keyboards and copy-paste produce both NFC and NFD text; storing NFC makes search,
    duplicates and the classifier see one spelling. After NFC every Vietnamese letter is
    precomposed, so a combining mark that is still alone is noise (e.g. "Zalgo" text) and goes.
    """
    text = _UNWANTED.sub("", unicodedata.normalize("NFC", text).translate(_INVISIBLE))
    lines = [_SPACES.sub(" ", line).strip() for line in text.replace("\r", "").split("\n")]
    return _MANY_NEWLINES.sub("\n\n", "\n".join(lines)).strip()


_MARKS = re.compile("[\u0300-\u036f]")


def fold(text: str) -> str:
    """Lower case without diacritics ('Giao Minh' == 'giao minh' == 'giáo mính'): for search."""
    decomposed = unicodedata.normalize("NFD", text.lower().replace("đ", "d"))
    return _SPACES.sub(" ", _MARKS.sub("", decomposed)).strip()


# -- for the classifier and for officers --------------------------------------------------------
# Old-style tone placement on open "oa", "oe", "uy" syllables ("hoà", "thuỷ") becomes new style
# ("hòa", "thủy"); "quý" keeps its tone on y (there u belongs to "qu").
_TONE_OLD_NEW = {
    "oà": "òa", "oá": "óa", "oả": "ỏa", "oã": "õa", "oạ": "ọa",
    "oè": "òe", "oé": "óe", "oẻ": "ỏe", "oẽ": "õe", "oẹ": "ọe",
    "uỳ": "ùy", "uý": "úy", "uỷ": "ủy", "uỹ": "ũy", "uỵ": "ụy",
}  # fmt: skip

_URL = re.compile(r"(?:https?://|www\.)\S+|\b[\w.-]+\.(?:vn|com|net|org)(?:/\S*)?\b", re.I)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+\.[\w.]+\b")
_PHONE = re.compile(r"(?<!\d)(?:\+?84|0)(?:[\s.\-]?\d){8,10}(?!\d)")
_ID_NUMBER = re.compile(r"(?<!\d)(?:\d{12}|\d{9})(?!\d)")  # CCCD (12) or old CMND (9)
_REPEAT = re.compile(r"(\w)\1{2,}")
_DIGIT = re.compile(r"\d")

# Shorthand residents type, beyond underthesea's own list (applied word by word).
TEENCODE: dict[str, str] = {
    "ko": "không", "k": "không", "kg": "không", "khong": "không", "hok": "không",
    "dc": "được", "đc": "được", "dk": "được", "đk": "được",
    "bh": "bao giờ", "bjo": "bao giờ", "bg": "bao giờ",
    "j": "gì", "ji": "gì", "ntn": "như thế nào", "vs": "với", "ng": "người",
    "nc": "nước", "ns": "nói", "mn": "mọi người", "ae": "anh em", "bn": "bao nhiêu",
    "r": "rồi", "ms": "mới", "cx": "cũng", "cg": "cũng", "lm": "làm", "ntn?": "như thế nào",
    "sdt": "số điện thoại", "sđt": "số điện thoại", "đt": "điện thoại",
    "ubnd": "ủy ban nhân dân", "hđnd": "hội đồng nhân dân", "mttq": "mặt trận tổ quốc",
    "bhyt": "bảo hiểm y tế", "bhxh": "bảo hiểm xã hội", "gplx": "giấy phép lái xe",
    "cccd": "căn cước công dân", "cmnd": "chứng minh nhân dân", "gpmb": "giải phóng mặt bằng",
    "nvh": "nhà văn hóa", "tdp": "tổ dân phố", "ntm": "nông thôn mới", "atgt": "an toàn giao thông",
    "tk": "tài khoản", "tks": "cảm ơn", "thanks": "cảm ơn", "ok": "ok", "oke": "ok",
}  # fmt: skip
_WORD = re.compile(r"\w+", re.UNICODE)


def _modern_word(word: str) -> str:
    tail = word[-2:]
    new = _TONE_OLD_NEW.get(tail)
    if new is None or (tail[0] == "u" and word[-3:-2] == "q"):
        return word
    return word[:-2] + new


def modern_tones(text: str) -> str:
    """'hoà bình', 'thuỷ lợi' -> 'hòa bình', 'thủy lợi' (lower-case text)."""
    return _WORD.sub(lambda m: _modern_word(m.group(0)), text)


@lru_cache(maxsize=65536)
def _normal_word(word: str) -> str:
    """One word as the model reads it (memoised: residents use the same words again)."""
    return _expand(_modern_word(word))


def _expand(word: str) -> str:
    if word in TEENCODE:
        return TEENCODE[word]
    squeezed = _REPEAT.sub(r"\1", word)  # "ngậppp" -> "ngập"; no Vietnamese word has 3 alike
    return TEENCODE.get(squeezed, squeezed)


def redact(text: str) -> str:
    """Hide phone numbers, ID numbers and e-mails (for officers outside the Front)."""
    text = _EMAIL.sub("[email]", text)
    text = _PHONE.sub("[số điện thoại]", text)
    return _ID_NUMBER.sub("[số giấy tờ]", text)


def personal_data(text: str) -> list[tuple[str, str]]:
    """The phone numbers, e-mails and ID numbers written in a text, each with the label that
    replaces it when the text must be kept without them (erasure)."""
    found = [(m.group(), "[email]") for m in _EMAIL.finditer(text)]
    found += [(m.group(), "[số điện thoại]") for m in _PHONE.finditer(text)]
    found += [(m.group(), "[số giấy tờ]") for m in _ID_NUMBER.finditer(text)]
    return found


def find_folded(text: str, phrase: str) -> list[str]:
    """Where `phrase` occurs in `text` ignoring case and diacritics, as written in `text`
    (so "nguyen van an" is found for "Nguyễn Văn An")."""
    text, target = unicodedata.normalize("NFC", text), fold(phrase)
    if not target:
        return []
    folded = "".join(_fold_char(ch) for ch in text)  # one character for one: same offsets
    pattern = r"\s+".join(re.escape(word) for word in target.split())
    return [text[m.start() : m.end()] for m in re.finditer(pattern, folded)]


@lru_cache(maxsize=4096)
def _fold_char(ch: str) -> str:
    base = _MARKS.sub("", unicodedata.normalize("NFD", ch.lower().replace("đ", "d")))
    return base if len(base) == 1 else ch


def prepare(text: str) -> tuple[str, str]:
    """The message as the classifier reads it: (accented words, the same words folded).

    Lower case, NFC, new-style tones, URLs / phones / ID numbers as placeholder words,
    repeated letters squeezed, shorthand expanded.
    """
    text = clean_text(text).lower()
    if "." in text or "www" in text:  # the patterns are costly; most messages have none
        text = _URL.sub(" lienket ", text)
    if "@" in text:
        text = _EMAIL.sub(" thudientu ", text)
    if _DIGIT.search(text):
        text = _ID_NUMBER.sub(" sogiayto ", _PHONE.sub(" sodienthoai ", text))
    words = [_normal_word(w) for w in _WORD.findall(text)]
    if fold(text) == text:  # typed without accents: keep expansions without them too
        words = [fold(w) for w in words]
    accented = " ".join(words)
    return accented, fold(accented)


def for_model(text: str) -> str:
    """`prepare`, as one string: the words, then the words without diacritics, so that a
    message typed without accents still meets the words it should."""
    accented, folded = prepare(text)
    return f"{accented} {folded}" if accented != folded else accented
