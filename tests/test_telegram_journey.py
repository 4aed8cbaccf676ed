"""The resident journey end to end: real PTB client, fake Bot API server, real SQLite file."""

from __future__ import annotations

import pytest

from bot.clock import ManualClock
from bot.texts import when_text
from tests.fakes.telegram_server import FakeTelegram
from tests.harness import (
    COMMUNE,
    OTHER_COMMUNE,
    SESSION_CUTOFF,
    WEBHOOK_SECRET,
    Person,
    RunningBot,
    make_settings,
    seed,
    start_bot,
)


async def test_start_asks_consent_before_storing_anything(bot: RunningBot) -> None:
    alice = Person(bot.tg, 101, bot.clock)
    welcome, consent = await alice.send("/start", expect=2)
    assert "hội nghị tiếp xúc, đối thoại" in welcome.visible
    assert "Luật Bảo vệ dữ liệu cá nhân" in consent.visible
    assert [label for label, _ in consent.buttons] == ["Tôi đồng ý", "Không đồng ý"]
    (declined,) = await alice.press("Không đồng ý")
    assert "không lưu thông tin" in declined.visible
    await bot.settle()
    assert await bot.fetch("SELECT COUNT(*) FROM residents") == [(0,)]
    assert await bot.fetch("SELECT COUNT(*) FROM conversations") == [(0,)]


async def test_registration_then_opinion_then_status(bot: RunningBot) -> None:
    alice = Person(bot.tg, 101, bot.clock)
    done, menu = await alice.register(name="nguyễn thị  bình", phone="+84 912.345.678")
    assert "Nguyễn Thị Bình" in done.visible and "Xóm 2" in done.visible
    assert "Xã Giao Minh" in done.visible
    assert {v for _, v in menu.buttons} == {"menu:send", "menu:my", "menu:session"}
    await bot.settle()
    rows = await bot.fetch(
        "SELECT full_name, phone, organisation, village_name, commune_code FROM residents"
    )
    assert [tuple(r) for r in rows] == [
        ("Nguyễn Thị Bình", "0912345678", "nong_dan", "Xóm 2", COMMUNE)
    ]
    assert await bot.fetch("SELECT COUNT(*) FROM conversations WHERE step != 'idle'") == [(0,)]

    text = "Đề nghị xã sửa đoạn đường liên thôn từ xóm 3 đến xóm 5, mưa xuống là ngập"
    (confirmation,) = await alice.send(text)
    code = confirmation.visible.split("Mã ý kiến: ")[1].split()[0]
    assert code.startswith("YK-") and len(code) == 9
    assert "hạn chót gửi ý kiến: " + when_text(SESSION_CUTOFF) in confirmation.visible
    rows = await bot.fetch(
        "SELECT text, state, session_id, topic FROM opinions WHERE ref_code = ?", code
    )
    assert [tuple(r) for r in rows] == [(text, "pending_review", 1, "giao_thong")]
    history = await bot.fetch(
        "SELECT from_state, to_state FROM opinion_events e JOIN opinions o ON o.id = e.opinion_id"
        " WHERE o.ref_code = ? ORDER BY e.id",
        code,
    )
    assert [tuple(r) for r in history] == [
        (None, "received"),
        ("received", "screened"),
        ("screened", "pending_review"),
    ]

    (status,) = await alice.send("/my")
    assert code in status.visible and "Chờ Mặt trận xem xét" in status.visible
    assert ("Sửa " + code, "edit:" + code) in status.buttons

    (session,) = await alice.send("/session")
    assert "Hội trường UBND xã <Giao Minh>" in session.visible  # escaped on the way, shown as is
    assert "Đất đai & môi trường" in session.visible
    assert when_text(SESSION_CUTOFF) in session.visible


async def test_edit_and_withdraw_before_cutoff(bot: RunningBot) -> None:
    alice = Person(bot.tg, 101, bot.clock)
    await alice.register()
    (confirmation,) = await alice.send("Đề nghị lắp thêm đèn chiếu sáng ở ngõ xóm 2")
    code = confirmation.visible.split("Mã ý kiến: ")[1].split()[0]

    (ask,) = await alice.press("edit:" + code)
    assert code in ask.visible
    (edited,) = await alice.send("Đề nghị lắp thêm 3 bóng đèn chiếu sáng ở ngõ 4 xóm 2")
    assert "Đã cập nhật" in edited.visible
    await bot.settle()
    rows = await bot.fetch("SELECT o.text, r.old_text FROM opinions o JOIN opinion_revisions r"
                           " ON r.opinion_id = o.id")  # fmt: skip
    assert [tuple(r) for r in rows] == [
        (
            "Đề nghị lắp thêm 3 bóng đèn chiếu sáng ở ngõ 4 xóm 2",
            "Đề nghị lắp thêm đèn chiếu sáng ở ngõ xóm 2",
        )
    ]

    (confirm,) = await alice.press("withdraw:" + code)
    assert "có chắc muốn rút" in confirm.visible
    (done,) = await alice.press("Rút ý kiến")
    assert "Đã rút ý kiến" in done.visible
    (status,) = await alice.send("/my")
    assert "Đã rút" in status.visible
    assert not [b for b in status.buttons if code in b[1]]  # nothing left to change


async def test_no_edit_after_cutoff(bot: RunningBot) -> None:
    alice = Person(bot.tg, 101, bot.clock)
    await alice.register()
    (confirmation,) = await alice.send("Đề nghị nạo vét kênh mương nội đồng xóm 1")
    code = confirmation.visible.split("Mã ý kiến: ")[1].split()[0]
    bot.clock.set(SESSION_CUTOFF)
    (refused,) = await alice.press("edit:" + code)
    assert "hết hạn chót" in refused.visible
    (late,) = await alice.send("Đề nghị sửa cống thoát nước đầu xóm 1 bị vỡ")
    assert "đã hết hạn nhận ý kiến" in late.visible  # told it is late, and that it is kept
    assert "chuyển tới kỳ đối thoại tiếp theo" in late.visible
    await bot.settle()
    rows = await bot.fetch("SELECT session_id, state FROM opinions ORDER BY id")
    assert [tuple(r) for r in rows] == [(1, "pending_review"), (None, "pending_review")]


async def test_photo_with_and_without_caption(bot: RunningBot) -> None:
    alice = Person(bot.tg, 101, bot.clock)
    await alice.register()
    (ok,) = await alice.send_update(bot.tg.photo_update(101, "Rác thải đổ trộm ở bờ sông xóm 3"))
    assert "Mã ý kiến" in ok.visible
    (ask,) = await alice.send_update(bot.tg.photo_update(101))
    assert "gõ thêm nội dung mô tả" in ask.visible
    (ok2,) = await alice.send("Cột điện nghiêng sắp đổ trước nhà văn hóa xóm 1")
    assert "Mã ý kiến" in ok2.visible
    await bot.settle()
    rows = await bot.fetch("SELECT photo_ref FROM opinions ORDER BY id")
    assert [r[0] for r in rows] == ["telegram:photo-101-2-1280"] * 2


async def test_resident_never_reaches_another_residents_opinion(bot: RunningBot) -> None:
    alice, bob = Person(bot.tg, 101, bot.clock), Person(bot.tg, 202, bot.clock)
    await alice.register()
    await bob.register(name="Trần Văn Bình", village="Xóm 1", phone=None)
    (confirmation,) = await alice.send("Đề nghị kiểm tra chất lượng nước sạch ở xóm 2")
    code = confirmation.visible.split("Mã ý kiến: ")[1].split()[0]
    # Bob forges button presses with Alice's code.
    (refused,) = await bob.send_update(bot.tg.callback_update(202, "withdraw:" + code))
    assert "Không tìm thấy ý kiến" in refused.visible
    (refused,) = await bob.send_update(bot.tg.callback_update(202, "edit:" + code))
    assert "Không tìm thấy ý kiến" in refused.visible
    (mine,) = await bob.send("/my")
    assert code not in mine.visible and "chưa gửi ý kiến nào" in mine.visible
    await bot.settle()
    assert await bot.fetch("SELECT state FROM opinions") == [("pending_review",)]


async def test_delete_me_erases_personal_data_and_keeps_opinions(bot: RunningBot) -> None:
    alice = Person(bot.tg, 101, bot.clock)
    await alice.register(name="Lê Thị Hoa", phone="0987654321")
    await alice.send("Đề nghị hỗ trợ hộ nghèo sửa nhà trước mùa mưa bão")
    (confirm,) = await alice.send("/delete_me")
    assert "xóa dữ liệu cá nhân" in confirm.visible
    (done,) = await alice.press("Xóa dữ liệu của tôi")
    assert "Đã xóa dữ liệu cá nhân" in done.visible
    await bot.settle()
    residents = await bot.fetch("SELECT full_name, phone, erased_at IS NOT NULL FROM residents")
    assert [tuple(r) for r in residents] == [("", None, 1)]
    assert await bot.fetch("SELECT COUNT(*) FROM opinions") == [(1,)]
    assert await bot.fetch("SELECT COUNT(*) FROM identities") == [(0,)]
    leftovers = await bot.fetch(
        "SELECT COUNT(*) FROM inbox WHERE payload LIKE '%Hoa%' OR payload LIKE '%0987654321%'"
        " OR payload LIKE '%Cử tri%'"
    )
    assert leftovers == [(0,)]
    sent = await bot.fetch("SELECT COUNT(*) FROM outbox WHERE payload LIKE '%Lê Thị Hoa%'")
    assert sent == [(0,)]
    # Starting again is a fresh registration.
    _, consent = await alice.send("/start", expect=2)
    assert "Tôi đồng ý" in [label for label, _ in consent.buttons]


async def test_restart_mid_conversation_loses_nothing(
    tg: FakeTelegram, clock: ManualClock, db
) -> None:
    first = await start_bot(make_settings(db, tg), tg, clock)
    await seed(first.rt)
    alice = Person(tg, 101, clock)
    await alice.send("/start", expect=2)
    await alice.press("Tôi đồng ý")
    await alice.send("Phạm Văn Cường")
    await first.settle()
    await first.stop()

    second = await start_bot(make_settings(db, tg), tg, clock)
    try:
        await alice.press("Xóm 3")  # the village question asked before the restart
        (asked,) = await alice.send("bo qua")  # the button's words typed: understood
        assert "tổ chức, đoàn thể" in asked.visible
        done, _ = await alice.press("Không tham gia tổ chức nào", expect=2)
        assert "Phạm Văn Cường" in done.visible and "Xóm 3" in done.visible
    finally:
        await second.stop()


async def test_commune_is_searched_when_several_are_served(
    tg: FakeTelegram, clock: ManualClock, db
) -> None:
    running = await start_bot(make_settings(db, tg), tg, clock)
    try:
        await seed(running.rt, communes=(COMMUNE, OTHER_COMMUNE))
        alice = Person(tg, 101, clock)
        await alice.send("/start", expect=2)
        await alice.press("Tôi đồng ý")
        (ask,) = await alice.send("Đỗ Thị Mai")
        assert "xã/phường" in ask.visible
        (none,) = await alice.send("Không Có Xã Này")
        assert "Không tìm thấy" in none.visible
        (pick,) = await alice.send("giao minh")  # no capitals, no diacritics
        assert [v for _, v in pick.buttons] == [f"commune:{COMMUNE}"]
        (both,) = await alice.send("Giao")
        assert {v for _, v in both.buttons} == {f"commune:{COMMUNE}", f"commune:{OTHER_COMMUNE}"}
        (village,) = await alice.press(f"commune:{COMMUNE}")
        assert "Xóm 1" in [label for label, _ in village.buttons]
    finally:
        await running.stop()


@pytest.mark.parametrize("typed", ["1", "0912345678"])
async def test_numbered_reply_works_like_a_button(bot: RunningBot, typed: str) -> None:
    alice = Person(bot.tg, 101, bot.clock)
    await alice.send("/start", expect=2)
    (ask_name,) = await alice.send("1")  # "1" = the first choice: consent
    assert "họ và tên" in ask_name.visible
    await alice.send("Vũ Văn Đông")
    await alice.send("3")  # third village
    (org,) = await alice.send(typed)  # "1" = skip phone; or a phone number
    assert "tổ chức" in org.visible


async def test_webhook_journey_and_secret(tg: FakeTelegram, clock: ManualClock, db) -> None:
    settings = make_settings(
        db,
        tg,
        telegram_mode="webhook",
        webhook_url="http://127.0.0.1:1/telegram",  # what Telegram is told; tests post directly
        webhook_secret=WEBHOOK_SECRET,
        webhook_port="0",
    )
    running = await start_bot(settings, tg, clock)
    try:
        await seed(running.rt)
        assert tg.webhook == {"url": "http://127.0.0.1:1/telegram", "secret_token": WEBHOOK_SECRET}
        url = f"http://127.0.0.1:{running.channel.webhook_port}/telegram"
        tg.webhook["url"] = url
        update = tg.text_update(101, "/start")
        assert await tg.post_webhook(update, secret="") == 403
        assert await tg.post_webhook(update, secret="wrong-secret-0123456789") == 403
        assert await running.rt.store.inbox_count() == 0
        update["update_id"] = 77
        assert await tg.post_webhook(update) == 200
        # Acknowledged (200) means stored: the row is there the moment the answer is.
        assert await running.rt.store.inbox_count("telegram") == 1
        await tg.wait_sent(101, 2)
        alice = Person(tg, 101, clock, webhook=True)
        await alice.press("Tôi đồng ý")
        await alice.send("Hoàng Văn Em")
        await alice.press("Xóm 1")
        await alice.press("Bỏ qua")
        await alice.press("Đoàn Thanh niên", expect=2)
        (ok,) = await alice.send("Đề nghị xây sân chơi cho thiếu nhi ở nhà văn hóa xóm 1")
        assert "Mã ý kiến" in ok.visible
        assert await tg.post_webhook({"update_id": 78, "oops": 1}, secret=None) == 200
        assert await tg.post_webhook({"update_id": "x"}) == 400
    finally:
        await running.stop()


async def test_default_httpx_transport_still_works(
    tg: FakeTelegram, clock: ManualClock, db
) -> None:
    running = await start_bot(make_settings(db, tg, telegram_transport="httpx"), tg, clock)
    try:
        await seed(running.rt)
        alice = Person(tg, 101, clock)
        await alice.register()
        (ok,) = await alice.send("Đề nghị sửa cầu dân sinh qua kênh Giao Minh bị gãy lan can")
        assert "Mã ý kiến" in ok.visible
        # Every button press was answered, so no spinner keeps turning in the resident's app.
        assert len(tg.callback_answers) == 3
        assert {m for m, _ in tg.calls} >= {"getMe", "setMyCommands", "deleteWebhook"}
    finally:
        await running.stop()


async def test_changes_by_typed_reference_code(bot: RunningBot) -> None:
    alice = Person(bot.tg, 101, bot.clock)
    await alice.register()
    (confirmation,) = await alice.send("Đề nghị nâng cấp trạm y tế xã, thiếu thuốc thường xuyên")
    code = confirmation.visible.split("Mã ý kiến: ")[1].split()[0]
    (ask,) = await alice.send("/edit")
    assert "/edit YK-" in ask.visible
    (ask,) = await alice.send(f"/sua {code.lower().replace('-', ' ')}")  # alias, sloppy code
    assert code in ask.visible
    await alice.send("Đề nghị nâng cấp trạm y tế xã và bổ sung thuốc thiết yếu")
    (confirm,) = await alice.send(f"/withdraw {code}")
    assert "có chắc muốn rút" in confirm.visible
    (done,) = await alice.press("Rút ý kiến")
    assert "Đã rút ý kiến" in done.visible
    (again,) = await alice.send(f"/withdraw {code}")
    assert "Đã rút" in again.visible and "không thể sửa hoặc rút" in again.visible
    (unknown,) = await alice.send("/edit YK-ZZZZZZ")
    assert "Không tìm thấy ý kiến" in unknown.visible


async def test_a_wrong_token_is_said_plainly(tg: FakeTelegram, clock: ManualClock, db) -> None:
    from bot.errors import ConfigError

    settings = make_settings(db, tg, telegram_token="999999:WRONG-token-abcdefghijklmnop")
    with pytest.raises(ConfigError, match="rejected the bot token"):
        await start_bot(settings, tg, clock)
