"""The Zalo channel end to end: the real adapter and core against a fake Zalo Bot API server,
a real SQLite file. The same journeys as on Telegram, with numbered replies for buttons."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from bot import texts
from bot.clock import ManualClock
from bot.config import Settings
from bot.errors import ConfigError
from bot.messages import Choice, Reply
from bot.model import Role, StaffRole
from handlers.plain import numbered, to_plain
from handlers.zalo.channel import ZaloChannel
from tests.fakes.telegram_server import FakeTelegram
from tests.fakes.zalo_server import FakeZalo
from tests.harness import (
    COMMUNE,
    SESSION_START,
    Person,
    RunningBot,
    ZaloPerson,
    add_staff,
    card_of,
    make_settings,
    run_due,
    seed,
    start_bot,
)

ZALO_SECRET = "zalo-secret-0123456789"
ROAD = "Đề nghị xã sửa đường liên thôn từ xóm 3 đến xóm 5 bị sụt lún nặng"
LAN, KINH_TE = 900, 950
ANNOUNCE_AT = SESSION_START - timedelta(days=7)


async def test_registration_opinion_and_status_with_numbered_replies(both: RunningBot) -> None:
    hoa = ZaloPerson(both.zl, "zu-hoa", both.clock)
    welcome, consent = await hoa.send("/start", expect=2)
    assert "hội nghị tiếp xúc, đối thoại" in welcome.text and "<b>" not in welcome.text
    assert consent.numbered == ["Tôi đồng ý", "Không đồng ý"]
    assert "Gõ 1: Tôi đồng ý" in consent.text
    done, menu = await hoa.register()
    assert "Lê Thị Hoa" in done.text and "Xóm 1" in done.text
    assert menu.numbered == ["Gửi ý kiến", "Ý kiến của tôi", "Kỳ đối thoại tới"]
    rows = await both.fetch("SELECT channel, user_key, chat_id FROM identities")
    assert rows == [("zalo", "zu-hoa", "zu-hoa")]

    (ok,) = await hoa.send(ROAD)
    code = ok.text.split("Mã ý kiến: ")[1].split()[0]
    (status,) = await hoa.send("/my")
    assert code in status.text and "Chờ Mặt trận xem xét" in status.text
    (ask,) = await hoa.choose(f"Sửa {code}")  # a numbered choice of the /my list
    assert code in ask.text
    (edited,) = await hoa.send(ROAD + ", cả đoạn qua cầu")
    assert code in edited.text
    (session,) = await hoa.send("/session")
    assert "Hội trường UBND xã <Giao Minh>" in session.text  # plain text: shown as typed
    await both.settle()
    assert await both.fetch("SELECT text FROM opinions") == [(ROAD + ", cả đoạn qua cầu",)]
    assert both.tg.sent == []  # nothing went to Telegram


async def test_bad_input_on_zalo_gets_an_answer(both: RunningBot) -> None:
    await add_staff(both, {LAN: StaffRole(Role.FRONT, COMMUNE)})
    hoa = ZaloPerson(both.zl, "zu-hoa", both.clock)
    await hoa.register()
    (sticker,) = await hoa.send_update(both.zl.update("zu-hoa", "message.sticker.received",
                                                      sticker="abc"))  # fmt: skip
    assert sticker.text == to_plain(texts.UNSUPPORTED)
    (hidden,) = await hoa.send_update(both.zl.update("zu-hoa", "message.unsupported.received"))
    assert hidden.text == sticker.text
    (unknown,) = await hoa.send("/khonglenhnao")
    assert "/khonglenhnao" in unknown.text
    (photo,) = await hoa.send_update(
        both.zl.update("zu-hoa", "message.image.received", photo="https://f.zalo/x.jpg")
    )
    assert photo.text == to_plain(texts.PHOTO_NEEDS_CAPTION)
    (kept,) = await hoa.send(ROAD)  # the caption the photo waited for
    code = kept.text.split("Mã ý kiến: ")[1].split()[0]
    await both.settle()
    card = card_of(Person(both.tg, LAN, both.clock), code)  # the officer can open the photo
    assert "(kèm ảnh: https://f.zalo/x.jpg)" in card.visible
    group = both.zl.update("zu-hoa", text="/start")
    group["result"]["message"]["chat"] = {"id": "g-1", "chat_type": "GROUP"}
    await both.zl.push(group)
    await both.settle()
    assert both.zl.sent_to("g-1") == []  # groups are not a resident's channel
    typed = "'; DROP TABLE residents; -- <script>alert(1)</script> đề nghị xã sửa cống xóm 2"
    (sql,) = await hoa.send(typed)
    assert "Mã ý kiến" in sql.text
    await both.settle()
    assert await both.fetch("SELECT COUNT(*) FROM residents") == [(1,)]
    assert (typed,) in await both.fetch("SELECT text FROM opinions")
    assert await both.fetch("SELECT photo_ref FROM opinions WHERE photo_ref IS NOT NULL") == [
        ("zalo:https://f.zalo/x.jpg",)
    ]


async def test_long_messages_are_split_at_zalos_limit(both: RunningBot) -> None:
    """An answer may be 3,000 characters; Zalo takes 2,000 per message."""
    paragraph = "Xã đã khảo sát hiện trạng tuyến đường và lập dự toán sửa chữa. " * 8
    text = "\n\n".join(f"{n}. {paragraph}" for n in range(12))
    payload = Reply(text, (Choice("😊 Hài lòng", "sat:1:1"),)).payload()
    now = both.clock.now()
    await both.rt.store.run(lambda tx: tx.outbox_add("zalo", "zu-hoa", payload, now))
    await both.rt.sender.drain()
    parts = both.zl.sent_to("zu-hoa")
    assert len(parts) == 4 and all(len(p.text) <= 2000 for p in parts)  # 6,200 characters
    assert all(p.text[0].isdigit() for p in parts)  # cut between paragraphs, none lost:
    assert " ".join(p.text for p in parts).split() == numbered(payload).split()
    assert parts[-1].numbered == ["😊 Hài lòng"]  # the choices come last


async def test_answer_is_pushed_back_and_rated_by_number(both: RunningBot) -> None:
    bot = both
    await add_staff(bot, {LAN: StaffRole(Role.FRONT, COMMUNE),
                          KINH_TE: StaffRole(Role.DEPARTMENT, COMMUNE, "kinh_te")})  # fmt: skip
    hoa = ZaloPerson(bot.zl, "zu-hoa", bot.clock)
    await hoa.register()
    (ok,) = await hoa.send(ROAD)
    code = ok.text.split("Mã ý kiến: ")[1].split()[0]
    await bot.settle()
    lan = Person(bot.tg, LAN, bot.clock)  # officers work in Telegram
    button = next(v for label, v in card_of(lan, code).buttons if label == "🏢 Giao đơn vị")
    (menu,) = await lan.send_update(bot.tg.callback_update(LAN, button, card_of(lan, code)))
    await lan.press(next(v for label, v in menu.buttons if label.startswith("⭐")), expect=2)
    await bot.settle()
    dept = Person(bot.tg, KINH_TE, bot.clock)
    await dept.press("Trả lời bằng văn bản")
    await dept.send("Xã đã bố trí kinh phí, sẽ thi công sửa đường trong tháng 1/2027.")
    await dept.press("ad:send")
    await bot.settle()
    answer = hoa.inbox[-1]
    assert f"Trả lời ý kiến {code}" in answer.text and "tháng 1/2027" in answer.text
    assert answer.numbered == ["😊 Hài lòng", "😞 Chưa hài lòng"]
    (thanks,) = await hoa.send("1")  # the pushed answer's first choice
    assert code in thanks.text
    await bot.settle()
    assert await bot.fetch("SELECT state FROM opinions") == [("closed",)]
    assert await bot.fetch("SELECT satisfied FROM satisfaction") == [(1,)]


async def test_announcement_reaches_zalo_and_its_numbers_work(both: RunningBot) -> None:
    hoa = ZaloPerson(both.zl, "zu-hoa", both.clock)
    await hoa.register()
    tele = Person(both.tg, 101, both.clock)
    await tele.register()
    await both.settle()
    both.clock.set(ANNOUNCE_AT)
    assert await run_due(both) == 2
    notice = hoa.inbox[-1]
    assert "THÔNG BÁO" in notice.text and notice.numbered == ["Gửi ý kiến", "Xem kỳ đối thoại"]
    assert sum("THÔNG BÁO" in m.visible for m in tele.inbox) == 1
    (ask,) = await hoa.send("1.")  # as people type it
    assert "gõ nội dung ý kiến" in ask.text


async def test_blocked_zalo_user_leaves_the_broadcasts(both: RunningBot) -> None:
    hoa = ZaloPerson(both.zl, "zu-hoa", both.clock)
    await hoa.register()
    await both.settle()
    both.zl.blocked.add("zu-hoa")
    both.clock.set(ANNOUNCE_AT)
    await run_due(both)
    assert await both.fetch("SELECT inactive_at IS NOT NULL FROM identities") == [(1,)]
    assert await both.fetch("SELECT status FROM outbox WHERE broadcast_id IS NOT NULL") == [
        ("failed",)
    ]


async def test_transient_zalo_errors_are_retried(both: RunningBot) -> None:
    hoa = ZaloPerson(both.zl, "zu-hoa", both.clock)
    both.zl.fail_next = [429, 500]
    await both.zl.push(both.zl.text_update("zu-hoa", "/help"))
    for _ in range(3):
        await asyncio.sleep(0.2)
        both.clock.advance(seconds=5)
        both.rt.sender.wake()
    await both.zl.wait_sent("zu-hoa", 2)
    assert "Hướng dẫn" in hoa.inbox[0].text


async def test_webhook_refuses_forged_calls_and_stores_before_answering(
    tg: FakeTelegram, zl: FakeZalo, clock: ManualClock, db: Path
) -> None:
    settings = make_settings(db, tg, zl, zalo_mode="webhook", zalo_webhook_port="0",
                             zalo_webhook_url="https://bot.example.vn/zalo",
                             zalo_webhook_secret=ZALO_SECRET)  # fmt: skip
    bot = await start_bot(settings, tg, clock, zl)
    try:
        await seed(bot.rt)
        assert zl.webhook == {"url": "https://bot.example.vn/zalo", "secret_token": ZALO_SECRET}
        assert bot.zalo is not None
        url = f"http://127.0.0.1:{bot.zalo.webhook_port}/zalo"
        update = zl.text_update("zu-hoa", "/start")
        assert await zl.post_webhook(update, secret="", url=url) == 403
        assert await zl.post_webhook(update, secret="wrong-secret-0123", url=url) == 403
        assert await zl.post_webhook(update, secret=ZALO_SECRET[:-1], url=url) == 403
        assert await bot.fetch("SELECT COUNT(*) FROM inbox") == [(0,)]
        assert zl.sent == []
        assert await zl.post_webhook("not json", secret=ZALO_SECRET, url=url) == 400
        assert await zl.post_webhook({"ok": True}, secret=ZALO_SECRET, url=url) == 400
        assert await zl.post_webhook(update, secret=ZALO_SECRET, url=url) == 200
        # The 200 came after the insert: the update is in the inbox the moment it is answered.
        assert await bot.fetch("SELECT channel, event_key FROM inbox") == [
            ("zalo", "m:" + update["result"]["message"]["message_id"])
        ]
        await zl.wait_sent("zu-hoa", 2)
        assert await zl.post_webhook(update, secret=ZALO_SECRET, url=url) == 200  # redelivery
        await bot.settle()
        assert len(zl.sent_to("zu-hoa")) == 2  # answered once
        hoa = ZaloPerson(zl, "zu-hoa", clock, webhook=True)
        zl.webhook["url"] = url
        (ask_name,) = await hoa.choose("Tôi đồng ý")
        assert "họ và tên" in ask_name.text
    finally:
        await bot.stop()


async def test_updates_stored_but_not_handled_are_handled_after_a_restart(
    tg: FakeTelegram, zl: FakeZalo, clock: ManualClock, db: Path
) -> None:
    settings = make_settings(db, tg, zl)
    bot = await start_bot(settings, tg, clock, zl)
    await seed(bot.rt)
    await bot.stop()
    from bot.ports import NewInbound
    from doithoai.app import runtime

    update = zl.text_update("zu-hoa", "/start")
    async with runtime(settings, clock) as rt:  # stored by a process that died before handling
        import json

        await rt.store.inbox_store(
            [NewInbound("zalo", "m:x1", "zu-hoa", json.dumps(update, ensure_ascii=False))],
            clock.now(),
        )
    bot = await start_bot(settings, tg, clock, zl)
    try:
        await zl.wait_sent("zu-hoa", 2)
        await bot.settle()
        assert await bot.fetch("SELECT handled_at IS NOT NULL FROM inbox") == [(1,)]
    finally:
        await bot.stop()


async def test_a_rejected_zalo_token_stops_with_a_clear_error(
    tg: FakeTelegram, zl: FakeZalo, clock: ManualClock, db: Path
) -> None:
    settings = make_settings(db, tg, zl, zalo_token="1234567890:not-the-right-token")
    bot = await start_bot(make_settings(db, tg), tg, clock)
    try:
        channel = ZaloChannel(settings, bot.rt.store, bot.rt.conversation, bot.rt.sender, clock)
        with pytest.raises(ConfigError, match="Zalo rejected the bot token"):
            await channel.start()
    finally:
        await bot.stop()


def test_zalo_settings_are_checked() -> None:
    base = {"DOITHOAI_ZALO_TOKEN": "1234567890:abcdefghijklmnop"}
    assert Settings.parse(base).zalo_mode == "polling"
    with pytest.raises(ConfigError) as err:
        Settings.parse(base | {"DOITHOAI_ZALO_MODE": "webhook"})
    assert "ZALO_WEBHOOK_URL is required" in str(err.value)
    assert "ZALO_WEBHOOK_SECRET is required" in str(err.value)
    with pytest.raises(ConfigError, match="8-256"):
        Settings.parse(base | {"DOITHOAI_ZALO_WEBHOOK_SECRET": "short"})
    with pytest.raises(ConfigError, match="does not look like a Zalo Bot token"):
        Settings.parse({"DOITHOAI_ZALO_TOKEN": "nope"})
    with pytest.raises(ConfigError, match="must be an https"):
        Settings.parse(base | {"DOITHOAI_ZALO_MODE": "webhook",
                               "DOITHOAI_ZALO_WEBHOOK_URL": "http://bot.example.vn/zalo",
                               "DOITHOAI_ZALO_WEBHOOK_SECRET": ZALO_SECRET})  # fmt: skip
