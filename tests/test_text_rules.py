"""Normalisation and validation of what residents type; the official commune list."""

from __future__ import annotations

import unicodedata

import pytest

from bot import validation
from bot.communes import official_communes, search
from bot.errors import ValidationError
from nlp.normalize import clean_text, fold


def test_clean_text() -> None:
    nfd = unicodedata.normalize("NFD", "Nước sạch")
    assert clean_text(nfd) == "Nước sạch"
    assert clean_text("a\u200bb\ufeffc\u202e") == "abc"
    assert clean_text("  hai   khoảng\t\ttrắng \n\n\n\n dòng  ") == "hai khoảng trắng\n\ndòng"
    assert clean_text("q\u0301\u0302\u0303\u0304algo") == "qalgo"  # stacked marks go
    assert clean_text("z\u0301\u0302") == "\u017a"  # what composes (ź) stays, the rest goes
    assert clean_text("\x00\x07bell\r\n") == "bell"


def test_fold_ignores_case_and_diacritics() -> None:
    assert fold("Xã Giao Thuỷ") == fold("xa giao thuy") == "xa giao thuy"
    assert fold("ĐƯỜNG Đất") == "duong dat"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("0912345678", "0912345678"),
        ("0912 345 678", "0912345678"),
        ("+84 912.345.678", "0912345678"),
        ("84912345678", "0912345678"),
        ("(024) 3825-3536", "02438253536"),
    ],
)
def test_valid_phone_numbers(raw: str, expected: str) -> None:
    assert validation.phone(raw) == expected


@pytest.mark.parametrize("raw", ["", "12345", "0112345678", "091234567", "09123456789", "abc"])
def test_invalid_phone_numbers(raw: str) -> None:
    with pytest.raises(ValidationError):
        validation.phone(raw)


def test_names() -> None:
    assert validation.full_name("  nguyễn   văn an ") == "Nguyễn Văn An"
    assert validation.full_name("H'Hen Niê") == "H'Hen Niê"
    for bad in ("", "An", "Nguyễn 2", "<b>Nguyễn</b> An", "x" * 81 + " y"):
        with pytest.raises(ValidationError):
            validation.full_name(bad)


def test_opinion_text_limits() -> None:
    assert validation.opinion_text(" Đề nghị  sửa đường ") == "Đề nghị sửa đường"
    for bad in ("", "\u200b", "cảm ơn", "x " * 2100):
        with pytest.raises(ValidationError) as err:
            validation.opinion_text(bad)
        assert err.value.user_message  # always a Vietnamese answer


def test_official_list_has_every_commune() -> None:
    communes = official_communes()
    assert len(communes) == 3321
    assert len({c.province for c in communes.values()}) == 34
    assert communes[14161].name == "Xã Giao Minh"


def test_commune_search() -> None:
    every = list(official_communes().values())
    assert search("giao minh", every)[0].code == 14161
    assert search("Xã Giao Minh", every)[0].code == 14161
    assert search("giao hoa", every)[0].name == "Xã Giao Hoà"  # old tone placement in the list
    assert [c.code for c in search("Giao Minh, Ninh Bình", every)] == [14161]
    assert search("giao minh, hà nội", every) == []
    assert len(search("an", every, limit=8)) == 8
    assert search("   ", every) == []
