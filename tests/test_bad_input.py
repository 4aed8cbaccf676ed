"""Bad input gets a clear Vietnamese answer and loses nothing."""

from __future__ import annotations

import json
import unicodedata

from tests.harness import Person, RunningBot

ROAD = "Đề nghị sửa đường xóm 3 bị hỏng nặng"


async def registered(bot: RunningBot, user_id: int = 101) -> Person:
    person = Person(bot.tg, user_id, bot.clock)
    await person.register()
    bot.clock.advance(minutes=1)  # out of the flood window of the registration itself
    return person


async def stored_texts(bot: RunningBot) -> list[str]:
    return [r[0] for r in await bot.fetch("SELECT text FROM opinions ORDER BY id")]


async def test_empty_and_invisible_messages(bot: RunningBot) -> None:
    alice = await registered(bot)
    (reply,) = await alice.send(" \u200b\u200d\ufeff ")
    assert "không có nội dung" in reply.visible
    (reply,) = await alice.send("ok")
    assert "quá ngắn" in reply.visible
    await bot.settle()
    assert await stored_texts(bot) == []
    payloads = [json.loads(r[0]) for r in await bot.fetch("SELECT payload FROM inbox")]
    assert any(p.get("message", {}).get("text") == "ok" for p in payloads)  # kept, raw


async def test_stickers_voice_and_locations_get_a_polite_answer(bot: RunningBot) -> None:
    alice = await registered(bot)
    for update in (
        bot.tg.sticker_update(101),
        bot.tg.voice_update(101),
        bot.tg.location_update(101),
    ):
        (reply,) = await alice.send_update(update)
        assert "chỉ nhận tin nhắn chữ hoặc ảnh" in reply.visible


async def test_sticker_during_registration_repeats_the_question(bot: RunningBot) -> None:
    alice = Person(bot.tg, 101, bot.clock)
    await alice.send("/start", expect=2)
    await alice.press("Tôi đồng ý")
    (again,) = await alice.send_update(bot.tg.sticker_update(101))
    assert "họ và tên" in again.visible
    (bad,) = await alice.send("Nguyễn V4n A")
    assert "chỉ gồm chữ cái" in bad.visible
    (short,) = await alice.send("An")
    assert "đầy đủ cả họ và tên" in short.visible


async def test_phone_must_be_vietnamese(bot: RunningBot) -> None:
    alice = Person(bot.tg, 101, bot.clock)
    await alice.send("/start", expect=2)
    await alice.press("Tôi đồng ý")
    await alice.send("Nguyễn Văn An")
    await alice.press("Xóm 1")
    for wrong in ("12345", "0112345678", "+1 202 555 0100", "0912-345-67x"):
        (reply,) = await alice.send(wrong)
        assert "chưa đúng định dạng" in reply.visible, wrong
        assert reply.buttons == [("Bỏ qua", "phone:skip")]
    (org,) = await alice.send("024 3825 3536")  # a Hà Nội landline
    assert "tổ chức" in org.visible


async def test_longest_telegram_message_is_accepted_and_longer_is_kept_raw(
    bot: RunningBot,
) -> None:
    alice = await registered(bot)
    words = "Đề nghị sửa đường liên thôn bị sụt lún nặng. "
    longest = (words * 200)[:4096].strip()
    longest = longest + "x" * (4096 - len(longest))
    (ok,) = await alice.send(longest)
    assert "Mã ý kiến" in ok.visible and len(ok.visible) < 1000
    too_long = words * 120
    (refused,) = await alice.send(too_long)
    assert "dài quá 4.096 ký tự" in refused.visible
    await bot.settle()
    assert await stored_texts(bot) == [longest]
    raw = await bot.fetch("SELECT COUNT(*) FROM inbox WHERE payload LIKE ?", f"%{too_long}%")
    assert raw == [(1,)]


async def test_invisible_and_combining_characters_are_cleaned(bot: RunningBot) -> None:
    alice = await registered(bot)
    await alice.send("Đề\u200b nghị\u200d sửa đường x\u0301\u0301\u0301óm 3 bị hỏng nặng\u2060")
    nfd = unicodedata.normalize("NFD", "Đề nghị nạo vét mương thoát nước ở tổ dân phố số 4")
    assert nfd != unicodedata.normalize("NFC", nfd)
    await alice.send(nfd)
    await bot.settle()
    assert await stored_texts(bot) == [
        ROAD,
        "Đề nghị nạo vét mương thoát nước ở tổ dân phố số 4",
    ]


async def test_sql_and_html_are_stored_verbatim_and_rendered_escaped(bot: RunningBot) -> None:
    alice = await registered(bot)
    sql = "Robert'); DROP TABLE opinions; -- đề nghị kiểm tra"
    markup = "<script>alert('x')</script> & <b>đường</b> xóm 2 hỏng &amp; ngập"
    (first,) = await alice.send(sql)
    # The fake server, like Telegram, refuses HTML that does not parse: getting the
    # confirmation at all proves the text was escaped; the resident sees it as typed.
    (second,) = await alice.send(markup)
    assert sql in first.visible
    assert markup in second.visible
    (mine,) = await alice.send("/my")
    assert markup in mine.visible
    await bot.settle()
    assert await stored_texts(bot) == [sql, markup]


async def test_same_update_delivered_twice_is_handled_once(bot: RunningBot) -> None:
    alice = await registered(bot)
    update = bot.tg.text_update(101, ROAD)
    update["update_id"] = 5000
    before = len(alice.inbox)
    await bot.tg.push(update, dict(update))  # twice in one batch
    await bot.tg.wait_sent(101, before + 1)
    await bot.settle()
    await bot.tg.push(dict(update))  # and again later, as after a lost acknowledgement
    await bot.settle()
    assert len(alice.inbox) == before + 1
    assert await stored_texts(bot) == [ROAD]
    assert await bot.fetch("SELECT COUNT(*) FROM inbox WHERE event_key = '5000'") == [(1,)]


async def test_flood_is_answered_politely_and_nothing_is_lost(bot: RunningBot) -> None:
    alice = await registered(bot)
    before = len(alice.inbox)
    texts = [f"Ý kiến số {i}: đề nghị sửa đường xóm 2" for i in range(50)]
    await bot.tg.push(*(bot.tg.text_update(101, t) for t in texts))  # 50 within one instant
    await bot.settle()
    replies = alice.inbox[before:]
    assert len(replies) == 11  # ten confirmations, then one notice, then silence
    assert all("Mã ý kiến" in r.visible for r in replies[:10])
    assert "gửi tin nhắn quá nhanh" in replies[10].visible
    assert sorted(await stored_texts(bot)) == sorted(texts)
    bot.clock.advance(seconds=30)
    (after,) = await alice.send("/my")  # answered again once the burst is over
    assert "(50)" in after.visible


async def test_unknown_commands_and_forged_buttons(bot: RunningBot) -> None:
    alice = await registered(bot)
    (reply,) = await alice.send("/xoa_het <b>")
    assert "«/xoa_het»" in reply.visible and "/help" in reply.visible
    (reply,) = await alice.send("/help@doithoai_test_bot")
    assert "Hướng dẫn sử dụng" in reply.visible
    (reply,) = await alice.send_update(bot.tg.callback_update(101, "consent:yes"))
    assert "hết hiệu lực" in reply.visible
    (reply,) = await alice.send_update(bot.tg.callback_update(101, "x" * 64))
    assert "hết hiệu lực" in reply.visible


async def test_not_registered_resident_is_guided(bot: RunningBot) -> None:
    bob = Person(bot.tg, 303, bot.clock)
    (reply,) = await bob.send("/my")
    assert "chưa đăng ký" in reply.visible
    _, consent = await bob.send("Cho hỏi bao giờ có đối thoại", expect=2)
    assert "Tôi đồng ý" in [label for label, _ in consent.buttons]
    (reply,) = await bob.send("/session")
    assert "hoàn tất đăng ký" in reply.visible


async def test_group_chats_and_edits_are_stored_but_not_answered(bot: RunningBot) -> None:
    group = bot.tg.text_update(101, "/start")
    group["message"]["chat"] = {"id": -100123, "type": "supergroup", "title": "Thôn 1"}
    edit = {"edited_message": bot.tg.text_update(101, ROAD)["message"]}
    await bot.tg.push(group, edit)
    await bot.settle()
    assert bot.tg.sent == []
    assert await bot.fetch("SELECT COUNT(*) FROM inbox WHERE handled_at IS NOT NULL") == [(2,)]
