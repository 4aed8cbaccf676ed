"""Sessions on the injectable clock: announcements that fire once, moved with the session,
intake that closes at the cut-off, broadcasts to every resident and the office's dialogue."""

from __future__ import annotations

import asyncio
from datetime import datetime, time, timedelta
from pathlib import Path

from bot import services, sessions
from bot.clock import VN_TZ, to_local
from bot.model import DialogueSession, Organisation, Role, StaffRole
from bot.ports import Tx
from bot.schedule import Scheduler
from bot.texts import when_text
from storage.sqlite import SqliteStore
from tests.harness import (
    COMMUNE,
    SESSION_CUTOFF,
    SESSION_START,
    Person,
    RunningBot,
    add_staff,
    card_of,
    run_due,
    submit,
)

ANNOUNCE_AT = SESSION_START - timedelta(days=7)
CLERK = 800  # the office: plans sessions
LAN = 801  # the Front


async def residents(bot: RunningBot, users: list[int]) -> None:
    """Registered residents on Telegram (through the service layer, as registration would)."""
    now = bot.clock.now()

    def work(tx: Tx) -> None:
        village = tx.villages_list(COMMUNE)[0]
        for user in users:
            reg = services.Registration(f"Cử Tri {user}", COMMUNE, village.id, village.name,
                                        None, Organisation.NONE, now)  # fmt: skip
            services.register_resident(tx, "telegram", str(user), str(user), reg, now)

    await bot.rt.store.run(work)


async def session_row(bot: RunningBot, session_id: int = 1) -> tuple:
    (row,) = await bot.fetch("SELECT state, starts_at, cutoff_at FROM sessions WHERE id = ?",
                             session_id)  # fmt: skip
    return row


def told(bot: RunningBot, user: int, words: str) -> int:
    return sum(words in m.visible for m in bot.tg.sent_to(user))


async def test_the_announcement_fires_seven_days_before_once(bot: RunningBot, db: Path) -> None:
    users = [101, 102, 103]
    await residents(bot, users)
    bot.clock.set(ANNOUNCE_AT - timedelta(seconds=1))
    assert await run_due(bot) == 0
    assert all(bot.tg.sent_to(u) == [] for u in users)

    bot.clock.set(ANNOUNCE_AT)
    assert await run_due(bot) == 3
    for user in users:
        (notice,) = bot.tg.sent_to(user)
        assert "THÔNG BÁO" in notice.visible and "Hội trường UBND xã <Giao Minh>" in notice.visible
        assert when_text(SESSION_CUTOFF) in notice.visible
        assert ("Gửi ý kiến", "menu:send") in notice.buttons
    assert await run_due(bot) == 0  # the next wake-up, and the one after a restart:
    restarted = SqliteStore(db)
    await restarted.open()
    try:
        now = bot.clock.now() + timedelta(hours=1)
        assert await restarted.run(lambda tx: sessions.run_due(tx, now)) == 0
    finally:
        await restarted.close()
    assert (await session_row(bot))[0] == "collecting"  # everyone told: collecting opinions
    assert [told(bot, u, "THÔNG BÁO") for u in users] == [1, 1, 1]


async def test_two_processes_announce_once(bot: RunningBot, db: Path) -> None:
    await residents(bot, list(range(200, 260)))
    bot.clock.set(ANNOUNCE_AT + timedelta(minutes=5))  # both woke up late: catch-up
    stores = [SqliteStore(db), SqliteStore(db)]
    for store in stores:
        await store.open()
    try:
        now = bot.clock.now()
        counts = await asyncio.gather(
            *(s.run(lambda tx: sessions.run_due(tx, now)) for s in stores)
        )
    finally:
        for store in stores:
            await store.close()
    assert sorted(counts) == [0, 60]
    rows = await bot.fetch("SELECT COUNT(*), COUNT(DISTINCT chat_id) FROM outbox"
                           " WHERE broadcast_id IS NOT NULL")  # fmt: skip
    assert rows == [(60, 60)]


async def test_rescheduling_moves_the_announcement_and_tells_of_changes(
    bot: RunningBot,
) -> None:
    users = [101, 102]
    await residents(bot, users)
    later = SESSION_START + timedelta(days=7)

    def postpone(to: datetime):
        now = bot.clock.now()
        return bot.rt.store.run(lambda tx: sessions.edit(tx, "test", 1, now, starts_at=to))

    _, changes, queued = await postpone(later)  # nobody told yet: nothing to announce
    assert queued == 0 and {c.field for c in changes} == {"starts_at", "cutoff_at"}
    bot.clock.set(ANNOUNCE_AT)
    assert await run_due(bot) == 0  # the old time: nothing
    bot.clock.set(later - timedelta(days=7))
    assert await run_due(bot) == 2  # the new time
    assert [told(bot, u, "THÔNG BÁO") for u in users] == [1, 1]

    _, _, queued = await postpone(later + timedelta(days=3))  # told already: a change notice
    assert queued == 2
    await bot.rt.sender.drain()
    for user in users:
        notice = bot.tg.sent_to(user)[-1]
        assert "HOÃN HỘI NGHỊ" in notice.visible
        assert when_text(later + timedelta(days=3)) in notice.visible
    assert await run_due(bot) == 0
    assert [len(bot.tg.sent_to(u)) for u in users] == [2, 2]  # no second announcement


async def test_intake_closes_at_the_cutoff_and_late_opinions_wait(bot: RunningBot) -> None:
    alice, early = await submit(bot, 101, "Đề nghị nạo vét kênh mương nội đồng xóm 1")
    bot.clock.set(SESSION_CUTOFF - timedelta(seconds=1))
    await run_due(bot)
    assert (await session_row(bot))[0] != "closed"
    bot.clock.set(SESSION_CUTOFF)
    await run_due(bot)
    assert (await session_row(bot))[0] == "closed"

    (late,) = await alice.send("Đề nghị sửa cống thoát nước đầu xóm 1 bị vỡ")
    assert "đã hết hạn nhận ý kiến" in late.visible
    code = late.visible.split("Mã ý kiến: ")[1].split()[0]
    rows = await bot.fetch("SELECT ref_code, session_id FROM opinions ORDER BY id")
    assert rows == [(early, 1), (code, None)]

    now, start = bot.clock.now(), SESSION_START + timedelta(days=60)
    nxt = DialogueSession(None, COMMUNE, "Kỳ đối thoại quý I/2027", start, "Nhà văn hóa xóm 1",
                          "Chủ tịch UBND xã", start - timedelta(days=2))  # fmt: skip
    await bot.rt.store.run(lambda tx: sessions.plan(tx, nxt, now, "test"))
    rows = await bot.fetch("SELECT ref_code, session_id FROM opinions ORDER BY id")
    assert rows == [(early, 1), (code, nxt.id)]  # offered to the next session


async def test_reminders_held_and_conclusion_each_once(bot: RunningBot) -> None:
    users = [101, 102]
    await residents(bot, users)
    await add_staff(bot, {CLERK: StaffRole(Role.OFFICE, COMMUNE)})
    moments = [
        ANNOUNCE_AT,
        SESSION_CUTOFF - timedelta(days=1),
        SESSION_CUTOFF,
        SESSION_START - timedelta(days=1),
        SESSION_START,
    ]
    states = []
    for moment in moments:
        bot.clock.set(moment)
        await run_due(bot)
        await run_due(bot)  # a second wake-up at the same instant changes nothing
        states.append((await session_row(bot))[0])
    assert states == ["collecting", "collecting", "closed", "closed", "held"]
    clerk = Person(bot.tg, CLERK, bot.clock)
    (ask,) = await clerk.send("/conclude")
    assert "kết luận" in ask.visible
    (confirm,) = await clerk.send("Xã sẽ sửa đường liên thôn xóm 3 trong quý I/2027 <ưu tiên>.")
    assert "2 người dân" in confirm.visible
    (done,) = await clerk.press("Xác nhận")
    assert "Đã phát hành" in done.visible
    await bot.settle()
    await run_due(bot)
    for user in users:
        sent = [m.visible for m in bot.tg.sent_to(user)]
        assert len(sent) == 4, sent
        assert "THÔNG BÁO" in sent[0] and "NHẮC HẠN" in sent[1] and "NHẮC LỊCH" in sent[2]
        assert "KẾT LUẬN" in sent[3] and "<ưu tiên>" in sent[3]
    assert (await session_row(bot))[0] == "concluded"
    (again,) = await clerk.send("/conclude 1")
    assert "kết luận" in again.visible
    (confirm_again,) = await clerk.send("Lần nữa")
    assert "Lần nữa" in confirm_again.visible
    (no,) = await clerk.press("Xác nhận")
    assert "đã có thông báo kết luận" in no.visible


async def test_a_session_planned_late_is_announced_at_once_without_stale_reminders(
    bot: RunningBot,
) -> None:
    await residents(bot, [101])
    bot.clock.set(SESSION_CUTOFF - timedelta(hours=12))  # planned inside every reminder's time
    start = SESSION_START + timedelta(hours=6)
    late = DialogueSession(None, COMMUNE, "Đối thoại chuyên đề đất đai", start, "Hội trường",
                           "Chủ tịch", SESSION_CUTOFF + timedelta(hours=6))  # fmt: skip
    now = bot.clock.now()
    await bot.rt.store.run(lambda tx: sessions.plan(tx, late, now, "test"))
    await run_due(bot)
    assert told(bot, 101, "Đối thoại chuyên đề") == 1
    assert told(bot, 101, "NHẮC HẠN") == 0  # the announcement was the reminder
    rows = await bot.fetch("SELECT kind, outcome FROM session_jobs WHERE session_id = ?", late.id)
    assert ("cutoff_reminder", "skipped") in rows and ("announce", "done") in rows


async def test_blocked_residents_are_left_out_until_they_write(bot: RunningBot) -> None:
    users = [101, 102, 103]
    await residents(bot, users)
    bot.tg.blocked.add(103)
    bot.clock.set(ANNOUNCE_AT)
    await run_due(bot)
    rows = await bot.fetch("SELECT chat_id, status, attempts FROM outbox ORDER BY chat_id")
    assert rows == [("101", "sent", 1), ("102", "sent", 1), ("103", "failed", 1)]
    inactive = await bot.fetch("SELECT user_key FROM identities WHERE inactive_at IS NOT NULL")
    assert inactive == [("103",)]

    now = bot.clock.now()
    _, _, queued = await bot.rt.store.run(
        lambda tx: sessions.edit(tx, "test", 1, now, place="Nhà văn hóa xóm 2")
    )
    assert queued == 2  # the blocked one is not retried forever

    bot.tg.blocked.discard(103)
    await Person(bot.tg, 103, bot.clock).send("/session")
    assert await bot.fetch("SELECT user_key FROM identities WHERE inactive_at IS NOT NULL") == []


async def test_retry_after_is_honoured(bot: RunningBot) -> None:
    await residents(bot, [101, 102])
    bot.tg.fail_next = [429]
    bot.clock.set(ANNOUNCE_AT)
    await run_due(bot)
    rows = await bot.fetch("SELECT status FROM outbox ORDER BY id")
    assert sorted(r[0] for r in rows) == ["pending", "sent"]
    await bot.rt.sender.drain()
    assert sorted(r[0] for r in await bot.fetch("SELECT status FROM outbox")) == ["pending", "sent"]
    bot.clock.advance(seconds=1)  # Telegram said: retry after 1 s
    await bot.rt.sender.drain()
    assert [told(bot, u, "THÔNG BÁO") for u in (101, 102)] == [1, 1]


async def test_the_office_plans_and_postpones_a_session_in_the_bot(bot: RunningBot) -> None:
    await add_staff(bot, {CLERK: StaffRole(Role.OFFICE, COMMUNE)})
    await residents(bot, [101])
    clerk = Person(bot.tg, CLERK, bot.clock)
    await clerk.send("/newsession")
    await clerk.send("Hội nghị đối thoại chuyên đề <môi trường>")
    (slot,) = await clerk.send("20/12/2026")
    assert "Buổi nào" in slot.visible
    await clerk.press("Sáng, 8:00")
    await clerk.send("Nhà văn hóa xóm 2")
    await clerk.send("Đồng chí Chủ tịch UBND xã")
    await clerk.press("Bỏ qua")
    (lead,) = await clerk.press("11:00 ngày 18/12/2026")
    assert "bao nhiêu ngày" in lead.visible
    (check,) = await clerk.send("10")
    assert "<môi trường>" in check.visible and "10 ngày trước" in check.visible
    (done,) = await clerk.press("Xác nhận")
    assert "Đã lên lịch" in done.visible and "Số 2" not in done.visible
    (row,) = await bot.fetch("SELECT id, starts_at, cutoff_at, lead_days, state FROM sessions"
                             " WHERE title LIKE '%chuyên đề%'")  # fmt: skip
    sid, starts, cutoff, lead_days, state = row
    assert to_local(datetime.fromisoformat(starts)) == datetime(2026, 12, 20, 8, 0, tzinfo=VN_TZ)
    assert to_local(datetime.fromisoformat(cutoff)).time() == time(11, 0)
    assert (lead_days, state) == (10, "planned")
    audit = await bot.fetch("SELECT actor, what FROM session_events WHERE session_id = ?", sid)
    assert audit[0][1] == "created" and audit[0][0].startswith(f"telegram:{CLERK}")

    (listing,) = await clerk.send("/sessions")
    assert "Đã lên kế hoạch" in listing.visible and "<môi trường>" in listing.visible
    (ask,) = await clerk.send(f"/postpone {sid}")
    assert "Hoãn" in ask.visible
    await clerk.send("27/12/2026")
    (confirm,) = await clerk.press("Chiều, 14:00")
    assert "14:00" in confirm.visible
    (changed,) = await clerk.press("Xác nhận")
    assert "Đã đổi lịch" in changed.visible and "theo lịch mới" in changed.visible
    (row,) = await bot.fetch("SELECT starts_at FROM sessions WHERE id = ?", sid)
    assert to_local(datetime.fromisoformat(row[0])) == datetime(2026, 12, 27, 14, 0, tzinfo=VN_TZ)

    resident = Person(bot.tg, 101, bot.clock)
    (refused,) = await resident.send("/newsession")
    assert "không có quyền" in refused.visible


async def test_speaking_registration_and_the_secretary_list(bot: RunningBot) -> None:
    await add_staff(bot, {LAN: StaffRole(Role.FRONT, COMMUNE)})
    lan = Person(bot.tg, LAN, bot.clock)
    alice, road = await submit(bot, 101, "Đề nghị xã sửa đường liên thôn xóm 3 bị sụt lún")
    bob, light = await submit(bot, 102, "Đề nghị lắp đèn chiếu sáng đường trục xóm 2",
                              name="Trần Thị Bình", village="Xóm 1")  # fmt: skip
    carol = Person(bot.tg, 103, bot.clock)
    await carol.register(name="Lê Văn Cường")

    (wait,) = await alice.send("/speak")  # not yet on the agenda
    assert "cần có ít nhất một ý kiến" in wait.visible
    for code in (light, road):  # the Front approves Bob's first
        card = card_of(lan, code)
        approve = next(v for _, v in card.buttons if v.endswith(":ok"))
        await lan.press(approve)
    await bot.settle()

    (bob_ok,) = await bob.send("/speak")
    assert "Thứ tự đăng ký của Ông/Bà: 1" in bob_ok.visible
    (info,) = await alice.send("/session")
    assert ("Đăng ký phát biểu", "speak:") in info.buttons
    (alice_ok,) = await alice.press("Đăng ký phát biểu")
    assert road in alice_ok.visible and ": 2" in alice_ok.visible
    (again,) = await alice.send("/phatbieu")
    assert "đã đăng ký phát biểu" in again.visible
    (none,) = await carol.send("/speak")
    assert "cần có ít nhất một ý kiến" in none.visible

    (listing,) = await lan.send("/speakers")
    text = listing.visible
    assert text.index("Trần Thị Bình") < text.index("Nguyễn Văn An")
    assert light in text and road in text and "Lê Văn Cường" not in text


async def test_broadcast_progress_for_the_office(bot: RunningBot) -> None:
    await add_staff(bot, {CLERK: StaffRole(Role.OFFICE, COMMUNE)})
    await residents(bot, [101, 102, 103])
    bot.tg.blocked.add(103)
    bot.clock.set(ANNOUNCE_AT)
    await run_due(bot)
    (progress,) = await Person(bot.tg, CLERK, bot.clock).send("/broadcasts")
    assert "Thông báo hội nghị" in progress.visible
    assert "Đã gửi 2/3" in progress.visible and "không gửi được 1" in progress.visible


async def test_the_scheduler_catches_up_after_a_clock_jump(bot: RunningBot) -> None:
    await residents(bot, [101])
    scheduler = Scheduler(bot.rt.store, bot.clock, bot.rt.sender.wake, every=0.2)
    scheduler.start()
    try:
        await asyncio.sleep(0.5)
        assert bot.tg.sent_to(101) == []
        bot.clock.set(ANNOUNCE_AT + timedelta(hours=3))  # the machine slept through it
        await bot.tg.wait_sent(101, 1, timeout=5)
        await asyncio.sleep(0.5)  # more checks: nothing more
    finally:
        scheduler.stop()
    assert told(bot, 101, "THÔNG BÁO") == 1 and len(bot.tg.sent_to(101)) == 1


async def test_the_scheduler_alarm_fires_at_the_due_time(bot: RunningBot) -> None:
    await residents(bot, [101])
    bot.clock.set(ANNOUNCE_AT - timedelta(seconds=0.5))
    scheduler = Scheduler(bot.rt.store, bot.clock, bot.rt.sender.wake, every=3600)
    scheduler.start()  # checks once now (nothing due), sets the alarm 0.5 s ahead
    try:
        await asyncio.sleep(0.2)
        assert bot.tg.sent_to(101) == []
        bot.clock.set(ANNOUNCE_AT)  # the injectable clock keeps pace with the alarm
        await bot.tg.wait_sent(101, 1, timeout=5)  # long before the hourly check
    finally:
        scheduler.stop()
