"""Delivery failures, as Telegram answers them: blocked users, flood control, server errors."""

from __future__ import annotations

from bot.messages import Reply
from bot.outbox import Limits
from tests.harness import Person, RunningBot


async def queue(bot: RunningBot, chat_id: int, text: str) -> int:
    payload, now = Reply(text).payload(), bot.clock.now()
    return await bot.rt.store.run(lambda tx: tx.outbox_add("telegram", str(chat_id), payload, now))


async def status(bot: RunningBot, message_id: int) -> tuple:
    (row,) = await bot.fetch("SELECT status, attempts, last_error FROM outbox WHERE id = ?",
                             message_id)  # fmt: skip
    return row


async def test_blocked_user_is_not_retried(bot: RunningBot) -> None:
    bot.tg.blocked.add(404)
    message = await queue(bot, 404, "Thông báo")
    await bot.rt.sender.drain()
    state, attempts, error = await status(bot, message)
    assert (state, attempts) == ("failed", 1) and "blocked" in error


async def test_flood_control_and_server_errors_are_retried(bot: RunningBot) -> None:
    bot.tg.fail_next = [429, 500]
    message = await queue(bot, 101, "Thông báo <b>lịch</b> đối thoại")
    await bot.rt.sender.drain()
    assert (await status(bot, message))[:2] == ("pending", 1)  # Retry-After: 1 s
    bot.clock.advance(seconds=1)
    await bot.rt.sender.drain()
    assert (await status(bot, message))[:2] == ("pending", 2)  # HTTP 500: back off 2 s
    bot.clock.advance(seconds=1)
    await bot.rt.sender.drain()
    assert (await status(bot, message))[0] == "pending"
    bot.clock.advance(seconds=1)
    await bot.rt.sender.drain()
    assert (await status(bot, message))[0] == "sent"
    assert [m.visible for m in bot.tg.sent_to(101)] == ["Thông báo lịch đối thoại"]


async def test_a_failed_reply_is_delivered_later_and_in_order(bot: RunningBot) -> None:
    alice = Person(bot.tg, 101, bot.clock)
    bot.tg.fail_next = [502]  # the welcome fails; the consent question must wait behind it
    await bot.tg.push(bot.tg.text_update(101, "/start"))
    await bot.settle_inbox()
    assert alice.inbox == []
    bot.clock.advance(seconds=5)
    bot.rt.sender.wake()
    welcome, consent = await bot.tg.wait_sent(101, 2)
    assert "hội nghị tiếp xúc" in welcome.visible
    assert "bảo vệ dữ liệu cá nhân" in consent.visible


async def test_pushed_messages_are_paced(bot: RunningBot) -> None:
    """The outbox loop spreads what it pushes over time (a lower bound: never faster)."""
    import time

    bot.rt.sender.set_limits("telegram", Limits(rate=20.0, chat_rate=100.0))
    ids = [await queue(bot, 700 + n, f"Thông báo số {n}") for n in range(10)]
    started = time.monotonic()
    await bot.rt.sender.drain()
    assert time.monotonic() - started >= (10 - 2) / 20.0 - 0.01  # a burst of rate/10
    assert [(await status(bot, i))[0] for i in ids] == ["sent"] * 10


async def test_one_chat_is_paced_after_a_short_burst(bot: RunningBot) -> None:
    """About one message a second in one chat (here ten, to keep the test short), in order."""
    import time

    bot.rt.sender.set_limits("telegram", Limits(rate=30.0, chat_rate=10.0))
    ids = [await queue(bot, 701, f"Tin số {n}") for n in range(6)]
    started = time.monotonic()
    await bot.rt.sender.drain()
    assert time.monotonic() - started >= (6 - 3) / 10.0 - 0.01
    assert [(await status(bot, i))[0] for i in ids] == ["sent"] * 6
    assert [m.visible for m in bot.tg.sent_to(701)] == [f"Tin số {n}" for n in range(6)]
