"""One resident on Telegram and Zalo: linked by a one-time code sent to the account already
registered, one history, and announcements exactly once per channel the resident chose."""

from __future__ import annotations

import re
from datetime import timedelta

from tests.harness import (
    SESSION_CUTOFF,
    SESSION_START,
    Person,
    RunningBot,
    ZaloPerson,
    run_due,
)

ROAD = "Đề nghị xã sửa đường liên thôn từ xóm 3 đến xóm 5 bị sụt lún nặng"
DRAIN = "Đề nghị nạo vét mương thoát nước xóm 2 trước mùa mưa năm sau"
PHONE = "0912 345 678"


async def code_on_telegram(bot: RunningBot, person: Person, count: int) -> str:
    """The code sent to the Telegram account (the `count`-th message it has received)."""
    bot.rt.sender.wake()
    messages = await bot.tg.wait_sent(person.id, count)
    (code,) = re.findall(r"\b\d{6}\b", messages[count - 1].visible)
    return code


async def link_from_zalo(bot: RunningBot, an: Person, hoa: ZaloPerson) -> list:
    await hoa.send("/lienket")
    before = len(an.inbox)
    (sent,) = await hoa.send(PHONE)
    assert "mã 6 chữ số" in sent.text
    code = await code_on_telegram(bot, an, before + 1)
    assert "Zalo" in an.inbox[-1].visible and "bỏ qua" in an.inbox[-1].visible
    return await hoa.send(code, expect=2)


def count(messages: list, words: str) -> int:
    return sum(words in getattr(m, "visible", getattr(m, "text", "")) for m in messages)


async def test_linked_resident_gets_one_announcement_per_chosen_channel(both: RunningBot) -> None:
    bot = both
    an = Person(bot.tg, 101, bot.clock)
    await an.register(phone=PHONE)
    (ok,) = await an.send(ROAD)
    road_code = ok.visible.split("Mã ý kiến: ")[1].split()[0]
    hoa = ZaloPerson(bot.zl, "zu-an", bot.clock)  # the same person, on Zalo, not registered
    await hoa.send("/lienket")
    before = len(an.inbox)
    await hoa.send(PHONE)
    code = await code_on_telegram(bot, an, before + 1)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    (again,) = await hoa.send(wrong)
    assert "còn 4 lần" in again.text
    linked, ask = await hoa.send(code, expect=2)
    assert "Nguyễn Văn An" in linked.text and "Telegram và Zalo" in linked.text
    assert ask.numbered == ["Chỉ Telegram", "Chỉ Zalo", "Cả Telegram và Zalo"]
    await bot.settle()
    rows = await bot.fetch("SELECT channel, resident_id, announce FROM identities ORDER BY channel")
    assert rows == [("telegram", 1, 1), ("zalo", 1, 0)]  # until they choose: where it was

    (mine,) = await hoa.send("/my")  # one history: the opinion sent on Telegram
    assert road_code in mine.text
    (ok2,) = await hoa.send(DRAIN)
    drain_code = ok2.text.split("Mã ý kiến: ")[1].split()[0]
    (mine,) = await an.send("/my")
    assert road_code in mine.visible and drain_code in mine.visible

    await hoa.send("/thongbao")
    (chosen,) = await hoa.choose("Chỉ Zalo")
    assert "Zalo" in chosen.text and "Telegram" not in chosen.text
    bot.clock.set(SESSION_START - timedelta(days=7))
    assert await run_due(bot) == 1
    assert count(hoa.inbox, "THÔNG BÁO") == 1 and count(an.inbox, "THÔNG BÁO") == 0

    (menu,) = await an.send("/thongbao")
    assert "Zalo" in menu.visible
    await an.press("Cả Telegram và Zalo")
    bot.clock.set(SESSION_CUTOFF - timedelta(days=1))
    assert await run_due(bot) == 2  # the cut-off reminder: one per chosen channel
    await bot.settle()
    reminder = "NHẮC HẠN GỬI Ý KIẾN"
    assert count(hoa.inbox, reminder) == 1 and count(an.inbox, reminder) == 1
    reminders = await bot.fetch(
        "SELECT channel, COUNT(*) FROM outbox WHERE broadcast_id = 2 GROUP BY channel"
    )
    assert reminders == [("telegram", 1), ("zalo", 1)]
    firsts = await bot.fetch(
        "SELECT channel, COUNT(*) FROM outbox WHERE broadcast_id = 1 GROUP BY channel"
    )
    assert firsts == [("zalo", 1)]


async def test_an_unknown_number_tells_nothing_and_sends_nothing(both: RunningBot) -> None:
    an = Person(both.tg, 101, both.clock)
    await an.register(phone=PHONE)
    await both.settle()
    before = len(an.inbox)
    stranger = ZaloPerson(both.zl, "zu-x", both.clock)
    await stranger.send("/lienket")
    (sent,) = await stranger.send("0909 000 111")  # nobody's number
    other = ZaloPerson(both.zl, "zu-y", both.clock)
    (known,) = await other.send("/lienket")
    (cancelled,) = await other.choose("Hủy")
    assert "Đã hủy việc liên kết" in cancelled.text
    assert "mã 6 chữ số" in sent.text  # the same answer as for a registered number
    (expired,) = await stranger.send("123456")
    assert "hết hiệu lực" in expired.text
    await both.settle()
    assert len(an.inbox) == before  # nothing went to the registered resident
    assert known.text.startswith("Để dùng chung")
    assert await both.fetch("SELECT COUNT(*) FROM identities") == [(1,)]


async def test_five_wrong_codes_end_it_and_codes_are_limited(both: RunningBot) -> None:
    an = Person(both.tg, 101, both.clock)
    await an.register(phone=PHONE)
    hoa = ZaloPerson(both.zl, "zu-an", both.clock)
    await hoa.send("/lienket")
    before = len(an.inbox)
    await hoa.send(PHONE)
    code = await code_on_telegram(both, an, before + 1)
    wrong = f"{(int(code) + 7) % 10**6:06d}"
    for left in (4, 3, 2, 1):
        (said,) = await hoa.send(wrong)
        assert f"còn {left} lần" in said.text
    (said,) = await hoa.send(wrong)
    assert "hết hiệu lực" in said.text
    welcome, _ = await hoa.send(code, expect=2)  # the right one, too late: not a link
    assert "/lienket" in welcome.text
    assert await both.fetch("SELECT COUNT(*) FROM identities") == [(1,)]
    for _ in range(2):  # two more codes this hour, then no more
        await hoa.send("/lienket")
        await hoa.send(PHONE)
    await hoa.send("/lienket")
    (said,) = await hoa.send(PHONE)
    assert "nhiều mã" in said.text
    await both.settle()
    assert sum("Mã liên kết" in m.visible for m in an.inbox) == 3


async def test_two_registrations_become_one_history(both: RunningBot) -> None:
    bot = both
    an = Person(bot.tg, 101, bot.clock)
    await an.register(phone=PHONE)
    (ok,) = await an.send(ROAD)
    road_code = ok.visible.split("Mã ý kiến: ")[1].split()[0]
    hoa = ZaloPerson(bot.zl, "zu-an", bot.clock)
    await hoa.register(name="Nguyễn Văn An", phone=None)  # registered again, on Zalo
    (ok2,) = await hoa.send(DRAIN)
    drain_code = ok2.text.split("Mã ý kiến: ")[1].split()[0]
    linked, _ = await link_from_zalo(bot, an, hoa)
    assert "Telegram và Zalo" in linked.text
    await bot.settle()
    assert await bot.fetch("SELECT id, merged_into, erased_at IS NULL FROM residents") == [
        (1, None, 1),
        (2, 1, 0),
    ]
    assert await bot.fetch("SELECT DISTINCT resident_id FROM opinions") == [(1,)]
    merged = await bot.fetch("SELECT full_name, phone, village_name, organisation FROM residents"
                             " WHERE id = 2")  # fmt: skip
    assert merged == [("", None, "", "none")]  # the emptied record keeps no personal data
    (mine,) = await hoa.send("/my")
    assert road_code in mine.text and drain_code in mine.text
    await hoa.send("/lienket")
    await hoa.send(PHONE)  # already one: no code goes anywhere
    await bot.settle()
    assert sum("Mã liên kết" in m.visible for m in an.inbox) == 1


async def test_a_blocked_chosen_channel_falls_back_to_one_that_works(both: RunningBot) -> None:
    bot = both
    an = Person(bot.tg, 101, bot.clock)
    await an.register(phone=PHONE)
    (alone,) = await an.send("/thongbao")
    assert "/lienket" in alone.visible  # one channel: nothing to choose yet
    hoa = ZaloPerson(bot.zl, "zu-an", bot.clock)
    await link_from_zalo(bot, an, hoa)
    await hoa.choose("Chỉ Zalo")
    await bot.settle()
    bot.zl.blocked.add("zu-an")  # then they block the Zalo bot
    bot.clock.set(SESSION_START - timedelta(days=7))
    await run_due(bot)  # the Zalo send fails for good: the account is marked unreachable
    assert await bot.fetch("SELECT channel, inactive_at IS NULL FROM identities ORDER BY 1") == [
        ("telegram", 1),
        ("zalo", 0),
    ]
    bot.clock.set(SESSION_CUTOFF - timedelta(days=1))
    await run_due(bot)  # so the reminder goes where they can still be reached
    assert count(an.inbox, "NHẮC HẠN GỬI Ý KIẾN") == 1
    assert await bot.fetch("SELECT channel FROM outbox WHERE broadcast_id = 2") == [("telegram",)]
