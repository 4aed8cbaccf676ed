"""An opinion's answer follows it through merges, reassignments, reopenings and erasure:
who must answer, by when, what was sent to whom."""

from __future__ import annotations

from bot import answers
from bot.model import Role, StaffRole
from tests.harness import (
    COMMUNE,
    DIA_CHINH,
    KINH_TE,
    LAN,
    Person,
    RunningBot,
    add_staff,
    answers_reviewed,
    card_of,
    submit,
)

ROAD = "Đề nghị xã sửa đường liên thôn từ xóm 3 đến xóm 5 bị sụt lún nặng"
ROAD_2 = "Bà con xóm 5 đề nghị sửa đoạn đường liên thôn bị sụt lún từ xóm 3"
ROAD_3 = "Đường liên thôn xóm 3 đi xóm 5 sụt lún, đề nghị xã sớm sửa chữa"




async def press_card(bot: RunningBot, code: str, label: str, then: str | None = None) -> list:
    """The Front officer presses a card button (and a button of the menu it opens)."""
    lan = Person(bot.tg, LAN, bot.clock)
    card = card_of(lan, code)
    button = next(v for text, v in card.buttons if text == label)
    said = await lan.send_update(bot.tg.callback_update(LAN, button, card), expect=1 if then
                                 else 2)  # fmt: skip
    if then is not None:
        (menu,) = said
        value = next(v for text, v in menu.buttons if then in text or v.endswith(":" + then))
        said = await lan.press(value, expect=2)
    await bot.settle()
    return said


async def merge(bot: RunningBot, code: str, into: str) -> None:
    """The Front merges `code` into `into` (the merge menu's button for it)."""
    ((oid, version),) = await bot.fetch("SELECT id, version FROM opinions WHERE ref_code = ?",
                                        code)  # fmt: skip
    ((target,),) = await bot.fetch("SELECT id FROM opinions WHERE ref_code = ?", into)
    lan = Person(bot.tg, LAN, bot.clock)
    await lan.send_update(bot.tg.callback_update(LAN, f"m:{oid}:{version}:m:{target}"), expect=2)
    await bot.settle()


async def deadlines(bot: RunningBot) -> None:
    """What the scheduler's deadline check does when it wakes."""
    now = bot.clock.now()
    await bot.rt.store.run(lambda tx: answers.enqueue_deadline_notices(tx, now))
    await bot.rt.sender.drain()


async def assigned(bot: RunningBot) -> tuple[Person, str]:
    """A resident's opinion, assigned by the Front to its field's department."""
    person, code = await submit(bot, 101, ROAD)
    await press_card(bot, code, "🏢 Giao đơn vị", "⭐")
    return person, code


async def states(bot: RunningBot) -> list[tuple]:
    return await bot.fetch("SELECT ref_code, state, merged_into IS NOT NULL FROM opinions"
                           " ORDER BY id")  # fmt: skip


def answers_to(person: Person) -> list:
    return [m for m in person.inbox if "Trả lời ý kiến" in m.visible]


async def answer(bot: RunningBot, dept_id: int, text: str, mode: str = "Trả lời bằng văn bản"):
    dept = Person(bot.tg, dept_id, bot.clock)
    await dept.press(mode)
    await dept.send(text)
    (done,) = await dept.press("ad:send")
    await bot.settle()
    return done


async def test_chained_merges_reach_every_resident(commune: RunningBot) -> None:
    bot = commune
    a, code_a = await submit(bot, 101, ROAD)
    b, code_b = await submit(bot, 202, ROAD_2, name="Trần Văn Bình", village="Xóm 1", phone=None)
    c, code_c = await submit(bot, 303, ROAD_3, name="Lê Văn Cường", village="Xóm 3", phone=None)
    await merge(bot, code_a, code_b)  # A into B
    await merge(bot, code_b, code_c)  # then B into C: A follows
    heads = await bot.fetch("SELECT o.ref_code, h.ref_code FROM opinions o JOIN opinions h"
                            " ON h.id = o.merged_into ORDER BY o.id")  # fmt: skip
    assert heads == [(code_a, code_c), (code_b, code_c)]
    (mine,) = await a.send("/my")
    assert f"Đã gộp vào {code_c}" in mine.visible
    await press_card(bot, code_c, "🏢 Giao đơn vị", "⭐")
    done = await answer(bot, KINH_TE, "Xã sẽ sửa đường trong quý I năm 2027.")
    assert "Đã gửi câu trả lời" in done.visible
    for person, code in ((a, code_a), (b, code_b), (c, code_c)):
        (got,) = answers_to(person)
        assert code in got.visible and "quý I" in got.visible
    assert [s for _, s, _ in await states(bot)] == ["delivered"] * 3


async def test_a_withdrawn_head_hands_its_group_on(commune: RunningBot) -> None:
    bot = commune
    a, code_a = await submit(bot, 101, ROAD)
    _, code_b = await submit(bot, 202, ROAD_2, name="Trần Văn Bình", village="Xóm 1", phone=None)
    _, code_c = await submit(bot, 303, ROAD_3, name="Lê Văn Cường", village="Xóm 3", phone=None)
    await merge(bot, code_b, code_a)
    await merge(bot, code_c, code_a)
    await a.press("withdraw:" + code_a)
    await a.press("Rút ý kiến")
    await bot.settle()
    assert await states(bot) == [(code_a, "withdrawn", 0), (code_b, "pending_review", 0),
                                 (code_c, "merged", 1)]  # fmt: skip
    lan = Person(bot.tg, LAN, bot.clock)
    assert any(f"{code_b}</code> nay đứng đầu nhóm" in m.text for m in lan.inbox)
    assert card_of(lan, code_b).buttons  # the new head is in the queue, with its card
    # A rejected head does the same.
    await press_card(bot, code_b, "🚫 Không đưa ra", "Nội dung chưa rõ")
    assert await states(bot) == [(code_a, "withdrawn", 0), (code_b, "rejected", 0),
                                 (code_c, "pending_review", 0)]  # fmt: skip


async def test_a_reopened_member_leaves_its_group(commune: RunningBot) -> None:
    bot = commune
    _, code_a = await submit(bot, 101, ROAD)
    b, code_b = await submit(bot, 202, ROAD_2, name="Trần Văn Bình", village="Xóm 1", phone=None)
    await merge(bot, code_b, code_a)
    await press_card(bot, code_a, "🏢 Giao đơn vị", "⭐")
    await answer(bot, KINH_TE, "Xã sẽ sửa đường trong quý I năm 2027.")
    await b.press("😞 Chưa hài lòng")
    await b.send("Quý I là quá lâu, mùa mưa sắp đến")
    await bot.settle()
    assert await states(bot) == [(code_a, "delivered", 0), (code_b, "pending_review", 0)]
    (mine,) = await b.send("/my")
    assert "Đã gộp" not in mine.visible


async def test_an_answer_to_an_erased_resident_is_kept_on_file(commune: RunningBot) -> None:
    bot = commune
    a, code = await assigned(bot)
    await a.send("/delete_me")
    await a.press("Xóa dữ liệu của tôi")
    done = await answer(bot, KINH_TE, "Xã sẽ sửa đường trong quý I năm 2027.")
    assert "đã xóa dữ liệu" in done.visible and "lưu vào hồ sơ" in done.visible
    assert await states(bot) == [(code, "answered", 0)]  # not "delivered": nobody received it
    (event,) = await bot.fetch("SELECT reason FROM opinion_events WHERE to_state = 'answered'")
    assert "lưu vào hồ sơ" in event[0]


async def test_a_reassigned_opinion_is_answered_by_its_new_department(commune: RunningBot) -> None:
    bot = commune
    a, code = await submit(bot, 101, ROAD)
    await press_card(bot, code, "🏢 Giao đơn vị", "⭐")  # Phòng Kinh tế (the field's default)
    old = Person(bot.tg, KINH_TE, bot.clock)
    await old.press("Trả lời bằng văn bản")  # the old department starts typing...
    said = await press_card(bot, code, "🏢 Giao đơn vị", "dia_chinh")  # ...it is moved
    assert "Đã giao" in said[0].visible
    await bot.settle()
    assert any("đã được chuyển sang" in m.visible for m in old.inbox)
    await old.send("Chúng tôi sẽ sửa trong tháng tới.")
    (late,) = await old.press("ad:send")
    assert "đã được giao lại" in late.visible and "sửa trong tháng tới" in late.visible
    await bot.settle()
    assert answers_to(a) == []  # nothing published under the new department's name
    new = Person(bot.tg, DIA_CHINH, bot.clock)
    assert card_of(new, code).buttons


async def test_a_long_answer_arrives_whole(commune: RunningBot) -> None:
    bot = commune
    a, _code = await assigned(bot)
    long = " ".join(f"Đoạn {n}: UBND xã đã khảo sát, lập dự toán & bố trí <vốn>." for n in
                    range(150))  # fmt: skip
    before = len(a.inbox)
    await answer(bot, KINH_TE, long)
    parts = a.inbox[before:]
    assert len(parts) >= 2 and parts[0].visible.startswith("Trả lời ý kiến")
    seen = " ".join(m.visible for m in parts)
    assert "Đoạn 0:" in seen
    assert "Đoạn 149: UBND xã đã khảo sát, lập dự toán & bố trí <vốn>." in seen
    assert [label for label, _ in parts[-1].buttons] == ["😊 Hài lòng", "😞 Chưa hài lòng"]


async def test_deadline_notices_follow_the_deadline_and_departments_see_theirs(
    commune: RunningBot,
) -> None:
    bot = commune
    _, code = await submit(bot, 101, ROAD)
    await press_card(bot, code, "🏢 Giao đơn vị", "⭐")
    dept = Person(bot.tg, KINH_TE, bot.clock)
    bot.clock.advance(days=40)  # long past the deadline
    await deadlines(bot)
    overdue = [m for m in dept.inbox if "quá hạn" in m.visible]
    assert len(overdue) == 1 and overdue[0].buttons  # with a button to answer
    (listed,) = await dept.send("/overdue")
    assert code in listed.visible  # a department sees its own overdue opinions
    (card,) = await dept.press(overdue[0].buttons[0][1])
    assert card.visible.startswith(code)
    # Reassigned: the new deadline is told anew.
    await press_card(bot, code, "🏢 Giao đơn vị", "dia_chinh")
    bot.clock.advance(days=40)
    await deadlines(bot)
    other = Person(bot.tg, DIA_CHINH, bot.clock)
    assert len([m for m in other.inbox if "quá hạn" in m.visible]) == 1


async def test_assigning_to_a_department_without_officers_warns_and_tells(
    commune: RunningBot,
) -> None:
    bot = commune
    a, code = await submit(bot, 101, ROAD)
    said = await press_card(bot, code, "🏢 Giao đơn vị", "tu_phap")
    assert any("chưa có cán bộ" in m.visible for m in said)
    await bot.settle()
    assert any("đưa vào chương trình" in m.visible.lower() for m in a.inbox)


async def test_officers_are_not_treated_as_residents(commune: RunningBot) -> None:
    bot = commune
    dept = Person(bot.tg, KINH_TE, bot.clock)
    (help_,) = await dept.send("cho hỏi việc này làm thế nào")
    assert "vai trò cán bộ" in help_.visible and "Cán bộ chuyên môn" in help_.visible
    (usage,) = await dept.send("/answer")
    assert "gõ kèm mã ý kiến" in usage.visible
    _, code = await submit(bot, 101, ROAD)
    await press_card(bot, code, "🏢 Giao đơn vị", "⭐")
    await answer(bot, KINH_TE, "Xã sẽ sửa đường trong quý I năm 2027.")
    (closed,) = await dept.press(card_of(dept, code).buttons[0][1])  # an old button
    assert "không cần trả lời nữa" in closed.visible


async def test_an_answer_is_a_draft_until_sent(commune: RunningBot) -> None:
    bot = commune
    a, _code = await assigned(bot)
    dept = Person(bot.tg, KINH_TE, bot.clock)
    await dept.press("Trả lời bằng văn bản")
    await dept.send("Phần 1: xã đã khảo sát tuyến đường.")  # a long paste, split in two
    (draft,) = await dept.send("Phần 2: sẽ thi công trong tháng 3/2027.")
    assert "2 tin nhắn" in draft.visible
    listed = await dept.send("/overdue", expect=2)  # another command keeps it, visibly
    assert "vẫn đang mở" in listed[-1].visible
    await dept.send("ok")  # a stray word joins the draft; nothing is published
    await bot.settle()
    assert answers_to(a) == []
    (restart,) = await dept.press("ad:edit")
    assert "gõ lại" in restart.visible
    await dept.send("Phần 1: xã đã khảo sát tuyến đường.")
    await dept.send("Phần 2: sẽ thi công trong tháng 3/2027.")
    await dept.press("ad:send")
    await bot.settle()
    (got,) = answers_to(a)
    assert "Phần 1" in got.visible and "Phần 2" in got.visible and "ok" not in got.visible


async def test_a_draft_left_alone_or_cancelled_sends_nothing(commune: RunningBot) -> None:
    bot = commune
    a, code = await assigned(bot)
    dept = Person(bot.tg, KINH_TE, bot.clock)
    await dept.press("Trả lời bằng văn bản")
    await dept.send("Xã sẽ sửa đường.")
    bot.clock.advance(hours=2)
    (expired,) = await dept.send("bổ sung: trong tháng 3")
    assert "đã đóng" in expired.visible
    await dept.press(card_of(dept, code).buttons[1][1])  # Trả lời bằng văn bản, again
    await dept.send("Xã sẽ sửa đường.")
    replies = await dept.send("/cancel", expect=2)
    assert "Đã hủy" in replies[0].visible and "đã đóng" in replies[1].visible
    await bot.settle()
    assert answers_to(a) == []


async def test_two_officers_answering_at_once(commune: RunningBot) -> None:
    bot = commune
    await add_staff(bot, {952: StaffRole(Role.DEPARTMENT, COMMUNE, "kinh_te")})
    a, _code = await assigned(bot)
    first, second = Person(bot.tg, KINH_TE, bot.clock), Person(bot.tg, 952, bot.clock)
    for officer, text in ((first, "Trả lời của cán bộ thứ nhất."),
                          (second, "Trả lời của cán bộ thứ hai, rất dài.")):  # fmt: skip
        await officer.press("Trả lời bằng văn bản")
        await officer.send(text)
    await first.press("ad:send")
    (lost,) = await second.press("ad:send")
    assert "đã được" in lost.visible and "trả lời trước" in lost.visible
    assert "cán bộ thứ hai, rất dài" in lost.visible  # the text is given back, not lost
    await bot.settle()
    assert len(answers_to(a)) == 1


async def test_review_returns_with_a_reason_and_one_pending_at_a_time(
    commune: RunningBot,
) -> None:
    bot = commune
    await answers_reviewed(bot)
    a, code = await assigned(bot)
    dept = Person(bot.tg, KINH_TE, bot.clock)
    await answer(bot, KINH_TE, "Bản trả lời thứ nhất.")
    await dept.press(card_of(dept, code).buttons[1][1])
    await dept.send("Bản trả lời thứ hai.")
    (refused,) = await dept.press("ad:send")
    assert "đang chờ duyệt" in refused.visible and "thứ hai" in refused.visible
    lan = Person(bot.tg, LAN, bot.clock)
    (asked,) = await lan.press("↩ Trả lại đơn vị")
    assert "lý do" in asked.visible
    (done,) = await lan.send("Cần nêu rõ thời gian thi công")
    assert "Đã trả lại" in done.visible
    await bot.settle()
    back = [m for m in dept.inbox if "được trả lại" in m.visible][-1]
    assert "Cần nêu rõ thời gian thi công" in back.visible
    (card,) = await dept.press("✍️ Trả lời lại")
    assert card.visible.startswith(code)
    await answer(bot, KINH_TE, "Thi công từ 01/03/2027.")
    (ok,) = await lan.press("✅ Duyệt, gửi cử tri")
    assert "Đã gửi" in ok.visible
    await bot.settle()
    (got,) = answers_to(a)
    assert "01/03/2027" in got.visible


async def test_the_last_rating_counts_and_typed_ratings_are_understood(
    commune: RunningBot,
) -> None:
    bot = commune
    a, code = await assigned(bot)
    await answer(bot, KINH_TE, "Xã sẽ sửa đường trong quý I năm 2027.")
    (typed,) = await a.send("Tôi chưa hài lòng vì đường vẫn lún, xe không đi được")
    assert "chưa hài lòng" in typed.visible and "Mã ý kiến" not in typed.visible
    await bot.settle()
    assert await states(bot) == [(code, "pending_review", 0)]
    assert await bot.fetch("SELECT satisfied, comment FROM satisfaction") == [
        (0, "Tôi chưa hài lòng vì đường vẫn lún, xe không đi được")]
    (after_all,) = await a.press("😊 Hài lòng")  # changed their mind before anyone acted
    assert "Cảm ơn" in after_all.visible
    await bot.settle()
    assert await states(bot) == [(code, "closed", 0)]
    lan = Person(bot.tg, LAN, bot.clock)
    assert any("đã đổi ý" in m.visible for m in lan.inbox)
    (why,) = await a.press("😞 Chưa hài lòng")  # and back again: the reason is asked, kept
    assert "vì sao" in why.visible
    await a.send("Thời gian quá lâu")
    await bot.settle()
    assert await states(bot) == [(code, "pending_review", 0)]
    rows = await bot.fetch("SELECT satisfied, comment FROM satisfaction ORDER BY id")
    assert rows[-1] == (0, "Thời gian quá lâu") and len(rows) == 3
    assert len(await bot.fetch("SELECT id FROM opinions")) == 1  # no rating became an opinion


async def test_text_right_after_an_answer_is_asked_about(commune: RunningBot) -> None:
    bot = commune
    a, code = await assigned(bot)
    await answer(bot, KINH_TE, "Xã sẽ sửa đường trong quý I năm 2027.")
    (asked,) = await a.send("Còn đèn đường xóm 2 thì bao giờ mới lắp lại được ạ")
    assert "đánh giá" in asked.visible and code in asked.visible
    (filed,) = await a.press("rate:new")
    assert "Mã ý kiến" in filed.visible
    await bot.settle()
    assert len(await bot.fetch("SELECT id FROM opinions")) == 2
    assert await bot.fetch("SELECT COUNT(*) FROM satisfaction") == [(0,)]


async def test_a_department_asks_for_more_time(commune: RunningBot) -> None:
    bot = commune
    a, _code = await assigned(bot)
    dept = Person(bot.tg, KINH_TE, bot.clock)
    (asked,) = await dept.press(f"d:{(await bot.fetch('SELECT id FROM opinions'))[0][0]}:extend")
    assert "ngày hạn mới" in asked.visible and "28/12/2026" in asked.visible
    (too_far,) = await dept.send("28/03/2027")
    assert "không quá 27/01/2027" in too_far.visible
    await dept.send("20/01/2027")
    (sent,) = await dept.send("Cần khảo sát địa chất, vụ việc phức tạp")
    assert "đề nghị gia hạn" in sent.visible
    await bot.settle()
    lan = Person(bot.tg, LAN, bot.clock)
    card = [m for m in lan.inbox if "xin gia hạn" in m.visible][-1]
    assert "khảo sát địa chất" in card.visible
    (ok,) = await lan.press("✅ Đồng ý gia hạn")
    assert "20/01/2027" in ok.visible
    await bot.settle()
    assert await bot.fetch("SELECT due_on FROM opinions") == [("2027-01-20",)]
    assert any("trước ngày 20/01/2027" in m.visible for m in a.inbox)
    assert any("được gia hạn" in m.visible for m in dept.inbox)
    (again,) = await lan.press("✅ Đồng ý gia hạn")  # a second press changes nothing
    assert "đã được xử lý" in again.visible


async def test_a_scanned_letter_goes_with_the_answer(commune: RunningBot) -> None:
    bot = commune
    a, _code = await assigned(bot)
    dept = Person(bot.tg, KINH_TE, bot.clock)
    await dept.press("Trả lời bằng văn bản")
    (with_doc,) = await dept.send_update(bot.tg.document_update(KINH_TE, "Công văn số 12/UBND"))
    assert "Kèm theo: 1 tệp" in with_doc.visible
    (with_photo,) = await dept.send_update(bot.tg.photo_update(KINH_TE))
    assert "Kèm theo: 2 tệp" in with_photo.visible
    await dept.press("ad:send")
    await bot.settle()
    to_alice = [m for m in bot.tg.sent if m.chat_id == 101]
    methods = [m.method for m in to_alice[-3:]]
    assert methods == ["sendMessage", "sendDocument", "sendPhoto"]
    assert to_alice[-2].params["document"] == f"doc-{KINH_TE}"
    assert to_alice[-1].params["photo"].startswith(f"photo-{KINH_TE}")
    assert "Công văn số 12/UBND" in to_alice[-3].visible
    assert [label for label, _ in to_alice[-1].buttons] == ["😊 Hài lòng", "😞 Chưa hài lòng"]
    (odd,) = await a.send_update(bot.tg.document_update(101))  # a resident's file: polite
    assert "chỉ nhận tin nhắn chữ hoặc ảnh" in odd.visible


def test_a_plain_channel_says_where_the_files_are() -> None:
    from handlers.plain import numbered

    text = numbered({"text": "Trả lời", "choices": [], "files": ["telegram-doc:x"]})
    assert "không gửi được qua kênh này" in text and "Một cửa" in text


async def test_erasure_reaches_ratings_and_answers(commune: RunningBot) -> None:
    bot = commune
    a, _ = await assigned(bot)
    await answer(bot, KINH_TE, "Xã sẽ sửa đường; cử tri Nguyễn Văn An liên hệ cán bộ Tâm.")
    await a.press("😞 Chưa hài lòng")
    await a.send("Chưa sửa gì cả, gọi tôi 0933 222 111")
    await a.send("/delete_me")
    await a.press("Xóa dữ liệu của tôi")
    await bot.settle()
    for table in ("opinion_events", "satisfaction", "answers", "outbox", "inbox", "opinions"):
        rows = await bot.fetch(f"SELECT * FROM {table}")
        for marker in ("0933 222 111", "Nguyễn Văn An"):
            assert marker not in repr(rows), (table, marker)
