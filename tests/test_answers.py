"""Department answers end to end: assignment, deadline, answer, push-back to every resident
who raised it (merged ones too) exactly once, satisfaction, reopening; deadline notices."""

from __future__ import annotations

from datetime import date, datetime, time

from bot import answers
from bot.clock import VN_TZ
from tests.harness import (
    DIA_CHINH,
    KINH_TE,
    LAN,
    OFFICE,
    Person,
    RunningBot,
    answers_reviewed,
    card_of,
    submit,
)

ROAD = "Đề nghị xã sửa đường liên thôn từ xóm 3 đến xóm 5 bị sụt lún nặng"
ROAD_TOO = "Bà con xóm 5 đề nghị sửa đoạn đường liên thôn bị sụt lún từ xóm 3"




async def assign(bot: RunningBot, code: str) -> None:
    lan = Person(bot.tg, LAN, bot.clock)
    button = next(v for label, v in card_of(lan, code).buttons if label == "🏢 Giao đơn vị")
    (menu,) = await lan.send_update(bot.tg.callback_update(LAN, button, card_of(lan, code)))
    await lan.press(next(v for label, v in menu.buttons if label.startswith("⭐")), expect=2)
    await bot.settle()


def answers_to(person: Person) -> list:
    return [m for m in person.inbox if "Trả lời ý kiến" in m.visible]


async def test_answer_reaches_the_resident_and_the_merged_one_once(commune: RunningBot) -> None:
    bot = commune
    alice, first = await submit(bot, 101, ROAD)
    bob, second = await submit(bot, 202, ROAD_TOO, name="Trần Văn Bình", village="Xóm 1",
                                phone=None)  # fmt: skip
    lan = Person(bot.tg, LAN, bot.clock)
    merge = next(v for label, v in card_of(lan, second).buttons if label == "🔗 Gộp")
    (menu,) = await lan.send_update(bot.tg.callback_update(LAN, merge, card_of(lan, second)))
    await lan.press(menu.buttons[0][1], expect=2)
    await assign(bot, first)

    dept = Person(bot.tg, KINH_TE, bot.clock)
    (task,) = dept.inbox
    assert task.visible.startswith(first) and "Phòng Kinh tế" in task.visible
    # Session on Monday 7/12/2026 + 15 working days.
    assert "Hạn trả lời: 28/12/2026" in task.visible
    assert Person(bot.tg, DIA_CHINH, bot.clock).inbox == []  # only the assigned department
    (ask,) = await dept.press("Trả lời bằng văn bản")
    assert first in ask.visible
    (draft,) = await dept.send("Xã đã bố trí kinh phí, sẽ thi công sửa đường trong tháng 1/2027.")
    assert "Bản nháp" in draft.visible  # a draft: published only on "Gửi"
    (done,) = await dept.press("ad:send")
    assert "Đã gửi câu trả lời" in done.visible
    await bot.settle()
    (to_alice,) = answers_to(alice)
    (to_bob,) = answers_to(bob)  # the merged resident gets it too, with his own code
    assert first in to_alice.visible and second in to_bob.visible
    assert "Phòng Kinh tế" in to_bob.visible and "tháng 1/2027" in to_bob.visible
    rows = await bot.fetch("SELECT ref_code, state FROM opinions ORDER BY id")
    assert rows == [(first, "delivered"), (second, "delivered")]

    await bob.press("😊 Hài lòng")
    (ask,) = await alice.press("😞 Chưa hài lòng")
    assert "vì sao chưa hài lòng" in ask.visible
    (thanks,) = await alice.send("Đường vẫn chưa được sửa")
    assert "Mặt trận sẽ theo dõi" in thanks.visible
    await bot.settle()
    rows = await bot.fetch("SELECT ref_code, state FROM opinions ORDER BY id")
    assert rows == [(first, "pending_review"), (second, "closed")]  # reopened for the Front
    assert any("chưa hài lòng" in m.visible and "Đường vẫn chưa" in m.visible for m in lan.inbox)
    sat = await bot.fetch("SELECT satisfied, comment FROM satisfaction ORDER BY id")
    assert sat == [(1, ""), (0, "Đường vẫn chưa được sửa")]
    (again,) = await bob.press("😊 Hài lòng")  # a second press changes nothing
    assert "đã cho biết" in again.visible
    assert len(answers_to(alice)) == 1 and len(answers_to(bob)) == 1


async def test_review_by_the_front_before_it_goes_out(commune: RunningBot) -> None:
    bot = commune
    await answers_reviewed(bot)
    alice, code = await submit(bot, 101, ROAD)
    await assign(bot, code)
    dept = Person(bot.tg, KINH_TE, bot.clock)
    await dept.press("Đã trả lời tại hội nghị")
    await dept.send("Chủ tịch xã đã trả lời trực tiếp tại hội nghị.")
    (sent,) = await dept.press("ad:send")
    assert "chuyển Mặt trận/Văn phòng duyệt" in sent.visible
    await bot.settle()
    assert answers_to(alice) == []
    lan, office = Person(bot.tg, LAN, bot.clock), Person(bot.tg, OFFICE, bot.clock)
    assert "Duyệt câu trả lời" in lan.inbox[-1].visible
    (ok,) = await lan.press("✅ Duyệt, gửi cử tri")
    assert "Đã gửi" in ok.visible
    (late,) = await office.press("✅ Duyệt, gửi cử tri")  # the other reviewer, too late
    assert "đã được duyệt hoặc trả lại" in late.visible
    await bot.settle()
    assert len(answers_to(alice)) == 1


async def test_in_progress_and_forwarded_need_a_date(commune: RunningBot) -> None:
    bot = commune
    alice, code = await submit(bot, 101, ROAD)
    await assign(bot, code)
    dept = Person(bot.tg, KINH_TE, bot.clock)
    (asked,) = await dept.press("Đang giải quyết")
    assert "dự kiến xong trước ngày" in asked.visible
    (again,) = await dept.send("Đang khảo sát hiện trạng")
    assert "dd/mm/yyyy" in again.visible
    (past,) = await dept.send("15/01/2025")  # a date already past is refused
    assert "một ngày sắp tới" in past.visible
    await dept.send("15/01/2027")
    await dept.send("Đang khảo sát hiện trạng")
    await dept.press("ad:send")
    await bot.settle()
    (news,) = answers_to(alice)
    assert "Dự kiến giải quyết xong trước ngày 15/01/2027" in news.visible and news.buttons == []
    assert (await bot.fetch("SELECT state, due_on FROM opinions")) == [("assigned", "2027-01-15")]
    await dept.send(f"/answer {code}")
    await dept.press("Vượt thẩm quyền, chuyển cấp trên")
    await dept.send("Sở Giao thông vận tải tỉnh Ninh Bình")
    (due,) = await dept.send("30/03/2027")
    assert "Xin gõ nội dung" in due.visible
    (draft,) = await dept.send("Đường tỉnh lộ do tỉnh quản lý, xã đã có văn bản đề nghị.")
    assert "Chuyển: Sở Giao thông" in draft.visible and "30/03/2027" in draft.visible
    await dept.press("ad:send")
    await bot.settle()
    final = answers_to(alice)[-1]
    assert "đã chuyển Sở Giao thông vận tải tỉnh Ninh Bình giải quyết" in final.visible
    assert "30/03/2027" in final.visible
    # Forwarded stays open: the Front follows it up on the higher body's date.
    assert (await bot.fetch("SELECT state, due_on FROM opinions")) == [("assigned", "2027-03-30")]


async def test_who_may_answer(commune: RunningBot) -> None:
    bot = commune
    _, code = await submit(bot, 101, ROAD + ", có gì gọi tôi 0912 345 678")
    await assign(bot, code)
    task = Person(bot.tg, KINH_TE, bot.clock).inbox[0]
    assert "[số điện thoại]" in task.visible and "0912" not in task.visible  # department view
    assert "0912 345 678" in card_of(Person(bot.tg, LAN, bot.clock), code).visible  # the Front
    button = next(v for label, v in task.buttons if label == "Trả lời bằng văn bản")
    for user in (DIA_CHINH, 101):  # another department; the resident
        (no,) = await Person(bot.tg, user, bot.clock).send_update(
            bot.tg.callback_update(user, button)
        )
        assert "không có quyền" in no.visible


async def deadline_run(bot: RunningBot, day: date) -> list[tuple[int, str]]:
    bot.clock.set(datetime.combine(day, time(8, 0), tzinfo=VN_TZ))
    now = bot.clock.now()
    before = len(bot.tg.sent)
    await bot.rt.store.run(lambda tx: answers.enqueue_deadline_notices(tx, now))
    await bot.rt.store.run(lambda tx: answers.enqueue_deadline_notices(tx, now))  # twice
    await bot.rt.sender.drain()
    return [(m.chat_id, m.visible[0]) for m in bot.tg.sent[before:]]


async def test_deadline_notices_fire_once_each(commune: RunningBot) -> None:
    bot = commune
    await bot.rt.store.run(lambda tx: tx.day_off_add(0, date(2026, 12, 24), "Nghỉ bù"))
    _, code = await submit(bot, 101, ROAD)
    await assign(bot, code)
    (due,) = await bot.fetch("SELECT due_on FROM opinions")
    assert due == ("2026-12-29",)  # 15 working days after 7/12, skipping the added day off
    assert await deadline_run(bot, date(2026, 12, 22)) == []  # 4 working days left
    assert await deadline_run(bot, date(2026, 12, 25)) == [(KINH_TE, "⏰")]  # 2 left
    assert await deadline_run(bot, date(2026, 12, 28)) == []
    overdue = await deadline_run(bot, date(2026, 12, 30))
    assert sorted(overdue) == sorted([(OFFICE, "⚠"), (LAN, "⚠"), (KINH_TE, "⚠")])
    assert await deadline_run(bot, date(2027, 1, 4)) == []  # 3 working days late (1/1 off)
    escalated = await deadline_run(bot, date(2027, 1, 6))
    assert sorted(escalated) == sorted([(OFFICE, "‼"), (LAN, "‼")])
    assert await deadline_run(bot, date(2027, 1, 20)) == []
    (listing,) = await Person(bot.tg, OFFICE, bot.clock).send("/overdue")
    assert code in listing.visible and "29/12/2026" in listing.visible


async def test_the_secretary_records_what_was_said_at_the_meeting(commune: RunningBot) -> None:
    bot = commune
    office = Person(bot.tg, OFFICE, bot.clock)
    await office.send("/record")
    await office.send("Ông Nguyễn Văn Tư, xóm 4")
    await office.send("Đề nghị lắp đèn đường ngõ 7")
    (done,) = await office.send("Xã sẽ lắp trong quý I năm 2027.")
    assert "Đã ghi vào hồ sơ" in done.visible
    await bot.settle()
    rows = await bot.fetch(
        "SELECT o.state, o.channel, a.mode, a.text, r.full_name FROM opinions o"
        " JOIN answers a ON a.opinion_id = o.id JOIN residents r ON r.id = o.resident_id"
    )
    assert rows == [("answered", "meeting", "meeting", "Xã sẽ lắp trong quý I năm 2027.",
                     "Ông Nguyễn Văn Tư, xóm 4")]  # fmt: skip
    (no,) = await Person(bot.tg, 101, bot.clock).send("/record")
    assert "không có quyền" in no.visible
