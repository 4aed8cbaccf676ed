"""Residents who type instead of pressing, officers in the wrong chat, floods, long cards,
and an erasure that leaves no byte behind."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from pathlib import Path

import pytest

from bot.model import Role, StaffRole
from bot.validation import yes_no
from handlers.telegram.html import split_html, visible_length
from tests.fakes.telegram_server import html_error, visible_text
from tests.harness import COMMUNE, Person, RunningBot, add_staff, card_of, submit

ROAD = "Đề nghị sửa đường liên thôn xóm 2 bị hỏng nặng"
LAN = 900  # a Front officer of the commune


@pytest.fixture
async def front(bot: RunningBot) -> RunningBot:
    await add_staff(bot, {LAN: StaffRole(Role.FRONT, COMMUNE)}, names={LAN: "Chị Lan"})
    return bot


async def opinions(bot: RunningBot) -> list[tuple]:
    return await bot.fetch("SELECT ref_code, state, text FROM opinions ORDER BY id")


@pytest.mark.parametrize(
    ("typed", "meant"),
    [("đồng ý", True), ("dong y", True), ("Có", True), ("ok", True), ("vâng", True),
     ("xóa", True), ("đồng ý xóa hết", True), ("không", False), ("thôi", False),
     ("hủy", False), ("ko", False), ("không đồng ý", False), ("giữ lại", False),
     ("đường xóm 2 vẫn chưa được sửa, có ai quan tâm không vậy", None), ("🙂", None)],
)  # fmt: skip
def test_typed_yes_and_no(typed: str, meant: bool | None) -> None:
    assert yes_no(typed) is meant


async def test_typed_confirmation_of_a_withdrawal_is_never_an_opinion(front: RunningBot) -> None:
    alice, code = await submit(front, 101, ROAD)
    lan = Person(front.tg, LAN, front.clock)
    cards = len(lan.inbox)
    await alice.press("withdraw:" + code)
    (again,) = await alice.send("ơ thế tôi gửi nhầm à, để tôi xem lại đã nhé")
    assert "Ông/Bà có chắc muốn rút" in again.visible and "gõ «đồng ý»" in again.visible
    (kept,) = await alice.send("không")
    assert "được giữ nguyên" in kept.visible
    await alice.press("withdraw:" + code)
    (done,) = await alice.send("đồng ý rút ý kiến")
    assert "Đã rút ý kiến" in done.visible
    await front.settle()
    assert [(c, s) for c, s, _ in await opinions(front)] == [(code, "withdrawn")]
    assert len(lan.inbox) == cards  # no card for the typed sentences


async def test_typed_confirmation_of_an_erasure_erases(bot: RunningBot) -> None:
    alice, _ = await submit(bot, 101, ROAD)
    await alice.send("/delete_me")
    (done,) = await alice.send("đồng ý xóa hết")
    assert "Đã xóa dữ liệu cá nhân" in done.visible
    await bot.settle()
    assert await bot.fetch("SELECT full_name, erased_at IS NOT NULL FROM residents") == [("", 1)]
    assert len(await opinions(bot)) == 1  # the sentence was not filed, nor called abuse


async def test_a_prompt_the_flood_guard_swallowed_arms_nothing(bot: RunningBot) -> None:
    alice, _ = await submit(bot, 101, ROAD)
    bot.clock.advance(minutes=1)
    burst = [bot.tg.text_update(101, f"{ROAD} lần {n}") for n in range(11)]
    await bot.tg.push(*burst, bot.tg.text_update(101, "/delete_me"))  # all at one instant
    await bot.settle()
    assert not any("có chắc muốn xóa" in m.visible for m in alice.inbox)  # never shown
    bot.clock.advance(minutes=1)
    await alice.send("đồng ý")
    await bot.settle()
    assert await bot.fetch("SELECT erased_at FROM residents") == [(None,)]


async def test_cancel_leaves_linking_before_registration(bot: RunningBot) -> None:
    stranger = Person(bot.tg, 555, bot.clock)
    (asked,) = await stranger.send("/lienket")
    assert "số điện thoại" in asked.visible
    (left,) = await stranger.send("/huy")
    assert "Đã hủy việc liên kết" in left.visible
    replies = await stranger.send("0912345678", expect=2)  # no code try: the welcome instead
    assert "Tôi đồng ý" in [label for label, _ in replies[-1].buttons]
    assert await bot.fetch("SELECT COUNT(*) FROM link_codes") == [(0,)]


async def test_an_officers_step_is_cancelled_too(front: RunningBot) -> None:
    lan = Person(front.tg, LAN, front.clock)
    await lan.send("/record")
    (left,) = await lan.send("/cancel")
    assert left.visible == "Đã hủy thao tác."


async def test_the_first_message_is_offered_after_registration(front: RunningBot) -> None:
    alice = Person(front.tg, 101, front.clock)
    first = "Đèn đường xóm 2 hỏng cả tháng nay, đề nghị xã cho sửa sớm"
    replies = await alice.send(first, expect=2)
    assert "Tôi đồng ý" in [label for label, _ in replies[-1].buttons]
    (hint, consent) = await alice.send("cho tôi hỏi cái này gửi ở đâu vậy ạ", expect=2)
    assert "gõ «đồng ý»" in hint.visible and consent.buttons
    (asked,) = await alice.send("đồng ý")  # typed consent
    assert "họ và tên" in asked.visible
    await alice.send("Nguyễn Văn An")
    await alice.press("Xóm 2")
    await alice.press("Bỏ qua")
    _, offer = await alice.press("Hội Nông dân", expect=2)
    assert "Trước khi đăng ký" in offer.visible and first in offer.visible
    (again,) = await alice.send("thế còn chuyện nước sạch thì sao ạ, có ai trả lời không")
    assert "Trước khi đăng ký" in again.visible  # a sentence here is not filed
    (filed,) = await alice.press("first:yes")
    assert "Mã ý kiến" in filed.visible
    await front.settle()
    assert [t for _, _, t in await opinions(front)] == [first]
    assert await front.fetch("SELECT consent_how FROM residents") == [("typed",)]


def _in_group(update: dict, group: int) -> dict:
    update["message"]["chat"] = {"id": group, "type": "supergroup", "title": "Nhóm khác"}
    return update


async def test_officer_commands_stay_out_of_other_groups(front: RunningBot) -> None:
    _, code = await submit(front, 101, ROAD + ", liên hệ 0912 345 678")
    other, mine = -100555, -100777
    await front.tg.push(_in_group(front.tg.text_update(LAN, "/queue"), other),
                        _in_group(front.tg.text_update(LAN, f"/history {code}"), other))
    await front.settle()
    said = [m.visible for m in front.tg.sent_to(other)]
    assert len(said) == 2 and all(s.count("\n") == 0 and "nhóm Mặt trận" in s for s in said)
    now = front.clock.now()

    def register_group(tx):
        tx.commune_put(replace(tx.commune_get(COMMUNE), front_chat=f"telegram:{mine}"), now)

    await front.rt.store.run(register_group)
    await front.tg.push(_in_group(front.tg.text_update(LAN, "/queue"), mine))
    await front.settle()
    assert any(m.visible.startswith(code) for m in front.tg.sent_to(mine))


async def test_one_residents_flood_is_carded_once_and_buries_nobody(front: RunningBot) -> None:
    flooder, _ = await submit(front, 101, ROAD)
    lan = Person(front.tg, LAN, front.clock)
    front.clock.advance(minutes=5)
    before = len(lan.inbox)
    await front.tg.push(*(front.tg.text_update(101, f"{ROAD}, lần thứ {n}") for n in range(60)))
    await front.settle()
    assert len(await opinions(front)) == 61  # every message filed
    other, other_code = await submit(front, 202, "Đề nghị nạo vét kênh mương xóm 3 trước mùa mưa")
    cards = lan.inbox[before:]
    assert card_of(lan, other_code) in cards
    # Three cards of the burst, one grouped card once it went quiet, the other resident's.
    assert len(cards) == 5, [m.visible[:60] for m in cards]
    front.clock.advance(seconds=30)
    await other.send("/my")
    await front.settle()
    grouped = [m for m in lan.inbox if "tin nhắn liên tiếp" in m.visible]
    assert len(grouped) == 1 and "57 tin nhắn liên tiếp" in grouped[0].visible
    assert "và 47 ý kiến khác" in grouped[0].visible
    assert sum("quá nhanh" in m.visible for m in flooder.inbox) == 1  # told once


async def test_a_card_of_escaped_text_arrives_whole(front: RunningBot) -> None:
    text = "Đề nghị kiểm tra <b>&amp;</b> " + "<&>\"' " * 700
    _, code = await submit(front, 101, text[:4000])
    card = card_of(Person(front.tg, LAN, front.clock), code)
    assert card.buttons and "«" in card.visible and "»" in card.visible


def test_long_html_is_split_by_what_the_reader_sees() -> None:
    paragraph = "<b>Trả lời</b> của UBND xã về đường &lt;liên thôn&gt; 😀. " * 40
    html = "\n\n".join([paragraph] * 6)
    parts = split_html(html)
    assert len(parts) > 1
    for n, part in enumerate(parts, start=1):
        assert html_error(part) is None
        assert visible_length(part) <= 4096 and part.endswith(f"({n}/{len(parts)})")
    seen = " ".join(visible_text(p).rsplit("\n", 1)[0] for p in parts)
    assert seen.split() == visible_text(html).split()


async def test_erasure_leaves_no_byte_of_personal_data(front: RunningBot, db: Path) -> None:
    alice = Person(front.tg, 101, front.clock)
    await alice.register(name="Trần Thị Bích", phone="0912 345 678")
    (ok,) = await alice.send(
        "Tôi là tran thi bich ở xóm 2, đề nghị sửa cống, liên hệ 0987.654.321 hoặc "
        "bich.tran@gmail.com, CCCD 001234567890"
    )
    code = ok.visible.split("Mã ý kiến: ")[1].split()[0]
    await alice.press("edit:" + code)  # the earlier text is kept as a revision: scrubbed too
    await alice.send("Đề nghị sửa cống xóm 2, Trần Thị Bích, gọi 0987654321")
    await front.settle()
    await alice.send("/delete_me")
    await alice.press("Xóa dữ liệu của tôi")
    await front.settle()
    markers = ["Bích", "Bich", "bich", "0912345678", "345 678", "987.654.321", "0987654321",
               "gmail.com", "001234567890"]  # fmt: skip
    with sqlite3.connect(db) as conn:
        tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            for row in conn.execute(f"SELECT * FROM {table}"):
                for value in row:
                    for marker in markers:
                        assert marker not in str(value), (table, marker, value)
    (text,) = await front.fetch("SELECT text FROM opinions")
    assert "[số điện thoại]" in text[0] and "[họ tên]" in text[0]
    for path in db.parent.glob(db.name + "*"):
        data = path.read_bytes()
        for marker in markers:
            assert marker.encode() not in data, (path.name, marker)


async def test_a_choice_step_says_what_it_expects_and_takes_its_words_typed(
    bot: RunningBot,
) -> None:
    alice = Person(bot.tg, 101, bot.clock)
    await alice.send("/start", expect=2)
    (asked,) = await alice.send("toi dong y")  # the consent button's words, no diacritics
    assert "họ và tên" in asked.visible
    await alice.send("Nguyễn Văn An")
    await alice.send("xom 2")  # the village typed without diacritics
    await alice.press("Bỏ qua")
    # Something else than a choice: the question again, saying why and how to answer.
    (again,) = await alice.send_update(bot.tg.sticker_update(101))
    assert "tổ chức, đoàn thể" in again.visible
    assert "gõ số thứ tự của lựa chọn (từ 1 đến 6)" in again.visible
    assert len(again.buttons) == 6
    (again,) = await alice.send("Hội")  # four labels say "Hội": not a choice yet
    assert "từ 1 đến 6" in again.visible
    done, _ = await alice.send("hoi nong dan", expect=2)  # a part of a label is enough here
    assert "Nguyễn Văn An" in done.visible
    rows = await bot.fetch("SELECT village_name, organisation, consent_how FROM residents")
    assert rows == [("Xóm 2", "nong_dan", "typed")]


async def test_at_rest_only_a_whole_label_is_a_button_an_opinion_stays_an_opinion(
    bot: RunningBot,
) -> None:
    alice = Person(bot.tg, 101, bot.clock)
    await alice.register()
    (mine,) = await alice.send("ý kiến của tôi")  # the menu's "📋 Ý kiến của tôi", typed
    assert "chưa gửi ý kiến nào" in mine.visible
    (filed,) = await alice.send("Ý kiến của tôi là đề nghị sửa đường xóm 2 bị hỏng nặng")
    assert "Mã ý kiến" in filed.visible
