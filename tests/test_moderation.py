"""The Fatherland Front's queue end to end: cards, actions, refusals, races, audit."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

import pytest

from bot import services, staff
from bot.model import Role, StaffRole
from tests.harness import (
    COMMUNE,
    OTHER_COMMUNE,
    Person,
    RunningBot,
    add_staff,
    card_of,
    submit,
)

ROAD = "Đề nghị xã sửa đường liên thôn từ xóm 3 đến xóm 5 bị sụt lún <nặng>"
LAN, HOA, DEPT, STRANGER = 900, 901, 950, 970


@pytest.fixture
async def front(bot: RunningBot) -> RunningBot:
    now = bot.clock.now()
    await bot.rt.store.run(lambda tx: services.add_commune(tx, OTHER_COMMUNE, ["Xóm 1"], now))
    await add_staff(bot, {
        LAN: StaffRole(Role.FRONT, COMMUNE),
        HOA: StaffRole(Role.FRONT, COMMUNE),
        DEPT: StaffRole(Role.DEPARTMENT, COMMUNE, "dia_chinh"),
        STRANGER: StaffRole(Role.FRONT, OTHER_COMMUNE),  # another commune: for forged buttons
    }, names={LAN: "Chị Lan"})  # fmt: skip
    return bot


async def state(bot: RunningBot, code: str) -> tuple:
    (row,) = await bot.fetch(
        "SELECT state, topic, kind, department, version FROM opinions WHERE ref_code = ?", code
    )
    return row


async def test_a_new_opinion_reaches_every_front_officer(front: RunningBot) -> None:
    _, code = await submit(front, 101, ROAD)
    lan, hoa = Person(front.tg, LAN, front.clock), Person(front.tg, HOA, front.clock)
    for officer in (lan, hoa):
        card = card_of(officer, code)
        assert "Xóm 2" in card.visible and "Hội Nông dân" in card.visible
        assert "Giao thông" in card.visible and "<nặng>" in card.visible  # escaped, shown as is
        assert any(v.endswith(":ok") for _, v in card.buttons)
        assert all(len(v.encode()) <= 64 for _, v in card.buttons)
    assert Person(front.tg, DEPT, front.clock).inbox == []  # departments see only assignments
    assert Person(front.tg, STRANGER, front.clock).inbox == []


async def test_approve_tells_the_resident_and_is_in_the_history(front: RunningBot) -> None:
    alice, code = await submit(front, 101, ROAD)
    lan = Person(front.tg, LAN, front.clock)
    done, fresh = await lan.press("✅ Đưa vào ch.trình", expect=2)
    assert "Đã đưa" in done.visible and fresh.visible.startswith(code)
    await front.settle()
    assert (await state(front, code))[:1] == ("approved",)
    assert "đưa vào chương trình" in alice.inbox[-1].visible
    (history,) = await lan.send(f"/history {code}")
    assert "telegram:900 (Chị Lan)" in history.visible
    assert "Chờ Mặt trận xem xét → Đưa vào chương trình đối thoại" in history.visible


async def test_retag_reject_divert_assign_and_undo(front: RunningBot) -> None:
    alice, code = await submit(front, 101, ROAD)
    lan = Person(front.tg, LAN, front.clock)
    await lan.press("🏷 Đổi lĩnh vực")
    await lan.press("Y tế", expect=2)
    await front.settle()
    assert (await state(front, code))[1] == "y_te"
    assert await front.fetch("SELECT topic, officer FROM nlp_feedback") == [
        ("y_te", "telegram:900 (Chị Lan)")
    ]
    await lan.press("🏢 Giao đơn vị")
    await lan.press("⭐ Trạm Y tế", expect=2)  # the field's default department comes first
    await front.settle()
    assert (await state(front, code))[0::3] == ("assigned", "tram_y_te")
    await lan.press("↩ Hoàn tác", expect=2)
    await front.settle()
    assert (await state(front, code))[0] == "pending_review"
    (nothing,) = await lan.press("↩ Hoàn tác")  # the last action is an undo: nothing more
    assert "Không có thao tác" in nothing.visible
    await lan.press("🚫 Không đưa ra")
    await lan.press("Nội dung chưa rõ, đề nghị viết cụ thể hơn", expect=2)
    await front.settle()
    assert (await state(front, code))[0] == "rejected"
    assert "Lý do: Nội dung chưa rõ" in alice.inbox[-1].visible
    await lan.press("⚖ Khiếu nại", expect=2)  # an override, from rejected
    await front.settle()
    assert (await state(front, code))[0:3:2] == ("diverted", "khieu_nai")
    assert "quy trình tiếp công dân" in alice.inbox[-1].visible
    events = await front.fetch(
        "SELECT e.to_state FROM opinion_events e JOIN opinions o ON o.id = e.opinion_id"
        " WHERE o.ref_code = ? ORDER BY e.id", code,
    )  # fmt: skip
    assert [e[0] for e in events] == [
        "received", "screened", "pending_review",  # intake
        "pending_review",  # re-tagged
        "assigned", "pending_review",  # assigned, then undone
        "rejected", "diverted",
    ]  # fmt: skip


async def test_merge_links_the_resident_to_the_group(front: RunningBot) -> None:
    _, first = await submit(front, 101, ROAD)
    bob, second = await submit(
        front, 202, "Bà con xóm 5 đề nghị sửa đoạn đường liên thôn bị sụt lún từ xóm 3",
        name="Trần Văn Bình", village="Xóm 1", phone=None,
    )  # fmt: skip
    lan = Person(front.tg, LAN, front.clock)
    card = card_of(lan, second)
    assert "Tương tự: " + first in card.visible
    merge = next(v for label, v in card.buttons if label == "🔗 Gộp")
    (menu,) = await lan.send_update(front.tg.callback_update(LAN, merge, card))
    await lan.press(menu.buttons[0][1], expect=2)
    await front.settle()
    rows = await front.fetch(
        "SELECT o.state, t.ref_code FROM opinions o JOIN opinions t ON t.id = o.merged_into"
        " WHERE o.ref_code = ?", second,
    )  # fmt: skip
    assert rows == [("merged", first)]
    assert "gộp lại" in bob.inbox[-1].visible and first in bob.inbox[-1].visible


async def test_two_officers_race_on_one_card(front: RunningBot) -> None:
    _, code = await submit(front, 101, ROAD)
    lan, hoa = Person(front.tg, LAN, front.clock), Person(front.tg, HOA, front.clock)
    approve = lambda o: next(v for _, v in card_of(o, code).buttons if v.endswith(":ok"))  # noqa: E731
    reject = next(v for _, v in card_of(hoa, code).buttons if v.endswith(":kn"))
    await front.tg.push(
        front.tg.callback_update(LAN, approve(lan), card_of(lan, code)),
        front.tg.callback_update(HOA, reject, card_of(hoa, code)),
    )
    await front.settle()
    row = await state(front, code)
    assert row[4] == 1  # exactly one action was applied
    loser = hoa if row[0] == "approved" else lan
    told = [m.visible for m in loser.inbox if "vừa được" in m.visible]
    assert len(told) == 1 and "xử lý" in told[0]


async def test_refusals_are_polite_and_logged(
    front: RunningBot, caplog: pytest.LogCaptureFixture
) -> None:
    alice, code = await submit(front, 101, ROAD)
    button = next(v for _, v in card_of(Person(front.tg, LAN, front.clock), code).buttons
                  if v.endswith(":ok"))  # fmt: skip
    caplog.set_level(logging.WARNING)
    for user in (101, DEPT, STRANGER):  # a resident, a department officer, another commune
        person = Person(front.tg, user, front.clock)
        (reply,) = await person.send_update(front.tg.callback_update(user, button))
        assert "không có quyền" in reply.visible
    (reply,) = await alice.send("/queue")
    assert "không có quyền" in reply.visible
    await front.settle()
    assert (await state(front, code))[0] == "pending_review"
    assert sum("refused" in r.message for r in caplog.records) == 4


async def test_join_with_a_one_time_invitation(front: RunningBot) -> None:
    now = front.clock.now()
    code = await front.rt.store.run(
        lambda tx: staff.invite(tx, StaffRole(Role.FRONT, COMMUNE), "test", now)
    )
    newcomer = Person(front.tg, 980, front.clock)
    (joined,) = await newcomer.send(f"/join {code.lower()}")
    assert "Cán bộ Mặt trận" in joined.visible and "Xã Giao Minh" in joined.visible
    (again,) = await Person(front.tg, 981, front.clock).send(f"/join {code}")
    assert "không đúng, đã dùng" in again.visible
    _, opinion = await submit(front, 101, ROAD)
    assert card_of(newcomer, opinion)


async def test_queue_and_stats(front: RunningBot) -> None:
    _, road = await submit(front, 101, ROAD)
    await submit(front, 202, "Trạm y tế xã thiếu thuốc, đề nghị bổ sung thuốc thiết yếu",
                 name="Trần Văn Bình", village="Xóm 1", phone=None)  # fmt: skip
    lan = Person(front.tg, LAN, front.clock)
    header, *cards = await lan.send("/queue", expect=3)
    assert "Ý kiến chờ xem xét</b>" not in header.visible and "2" in header.visible
    assert cards[0].visible.startswith(road)  # oldest first
    header, card = await lan.send("/queue y_te", expect=2)
    assert "Y tế" in card.visible
    (stats,) = await lan.send("/stats")
    assert "Tổng số: 2" in stats.visible and "Chờ Mặt trận xem xét: 2" in stats.visible


async def test_the_front_can_work_in_a_group_chat(front: RunningBot) -> None:
    group = -100777
    now = front.clock.now()

    def work(tx):
        commune = tx.commune_get(COMMUNE)
        tx.commune_put(replace(commune, front_chat=f"telegram:{group}"), now)

    await front.rt.store.run(work)
    _, code = await submit(front, 101, ROAD)
    (card,) = front.tg.sent_to(group)
    assert card.visible.startswith(code)
    assert Person(front.tg, LAN, front.clock).inbox == []  # not privately any more
    button = next(v for _, v in card.buttons if v.endswith(":ok"))
    press = front.tg.callback_update(LAN, button, card)
    press["callback_query"]["message"]["chat"] = {"id": group, "type": "supergroup"}
    chatter = front.tg.text_update(101, "mọi người ơi họp lúc mấy giờ")
    chatter["message"]["chat"] = {"id": group, "type": "supergroup", "title": "Mặt trận"}
    queue = front.tg.text_update(HOA, "/queue Xóm 2")
    queue["message"]["chat"] = {"id": group, "type": "supergroup", "title": "Mặt trận"}
    await front.tg.push(press, chatter, queue)
    await front.settle()
    said = [m.visible for m in front.tg.sent_to(group)][1:]
    assert said[0].startswith("Đã đưa") and said[1].startswith(code)  # the action, a new card
    assert "Không có ý kiến" in said[2]  # the queue, now empty; the chatter got no answer
    assert len(said) == 3


async def test_officers_working_fast_are_not_throttled(front: RunningBot) -> None:
    _, code = await submit(front, 101, ROAD)
    lan = Person(front.tg, LAN, front.clock)
    topic = next(v for _, v in card_of(lan, code).buttons if v.endswith(":tp"))
    before = len(lan.inbox)
    await front.tg.push(*(front.tg.callback_update(LAN, topic) for _ in range(15)))  # one instant
    await front.settle()
    menus = [m for m in lan.inbox[before:] if "Chọn lĩnh vực" in m.visible]
    assert len(menus) == 15 and not any("quá nhanh" in m.visible for m in lan.inbox)


async def wait_for(condition, timeout: float = 5.0) -> None:
    for _ in range(int(timeout / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("the condition did not come true")


async def test_stale_cards_are_edited_in_place(front: RunningBot) -> None:
    """Lan approves from her card: Hoa's card of the same opinion now shows it approved, with
    buttons that work; Lan's pressed card loses its buttons (her fresh card has them). A
    re-tag and a merge redraw the cards the same way."""
    _, code = await submit(front, 101, ROAD)
    _, other = await submit(front, 102, "Đường liên thôn xóm 3 đến xóm 5 sụt lún nặng, đề nghị sửa")
    lan, hoa = Person(front.tg, LAN, front.clock), Person(front.tg, HOA, front.clock)
    lans_card, hoas_card = card_of(lan, code), card_of(hoa, code)
    done, fresh = await lan.press(next(v for _, v in lans_card.buttons if v.endswith(":ok")),
                                  expect=2)  # fmt: skip
    assert "Đã đưa" in done.visible and fresh.visible.startswith(code)
    await front.settle()
    shown = lambda o, m: front.tg.shown(o.id, m.message_id)  # noqa: E731
    await wait_for(lambda: "Đưa vào chương trình" in shown(hoa, hoas_card).visible)
    hoas_now = shown(hoa, hoas_card)
    assert hoas_now.method == "editMessageText" and hoas_now.visible.startswith(code)
    assert all(":1:" in v for _, v in hoas_now.buttons)  # the opinion's version now
    await wait_for(lambda: shown(lan, lans_card).buttons == [])
    assert "Thẻ này đã cũ" in shown(lan, lans_card).visible
    assert len(front.tg.edits_to(HOA)) == 1  # one edit, no new message for Hoa
    assert [m for m in hoa.inbox if m.visible.startswith(code)] == [hoas_card]

    # Hoa re-tags from her edited card: it works, and Lan's fresh card is redrawn.
    retag = next(v for _, v in hoas_now.buttons if v.endswith(":tp"))
    (topics,) = await hoa.send_update(front.tg.callback_update(HOA, retag, hoas_now))
    assert "Chọn lĩnh vực" in topics.visible
    await hoa.press("Đất đai", expect=2)
    await front.settle()
    await wait_for(lambda: "Đất đai" in shown(lan, fresh).visible)
    assert (await state(front, code))[1] == "dat_dai"

    # A merge: the merged opinion's cards say so, wherever they are.
    await wait_for(lambda: any(v.endswith(":mg") for _, v in card_of(lan, other).buttons))
    await lan.press(next(v for _, v in card_of(lan, other).buttons if v.endswith(":mg")))
    target = next(v for _, v in lan.inbox[-1].buttons if v.split(":")[3] == "m")
    await lan.send_update(front.tg.callback_update(LAN, target, lan.inbox[-1]), expect=2)
    await front.settle()
    others_at_hoa = card_of(hoa, other)
    await wait_for(lambda: "Đã gộp vào" in shown(hoa, others_at_hoa).visible)
