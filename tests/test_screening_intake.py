"""Screening in the resident journey: what may not go to the meeting is kept and explained."""

from __future__ import annotations

from bot import services
from tests.harness import COMMUNE, Person, RunningBot

COMPLAINT = "Tôi khiếu nại quyết định thu hồi đất số 45/QĐ-UBND đối với thửa đất của gia đình tôi"


async def resident(bot: RunningBot) -> Person:
    alice = Person(bot.tg, 101, bot.clock)
    await alice.register()
    return alice


async def test_complaint_is_diverted_with_where_to_go(bot: RunningBot) -> None:
    reception = "Bộ phận tiếp công dân UBND xã, sáng thứ Năm hằng tuần"
    now = bot.clock.now()
    await bot.rt.store.run(lambda tx: services.add_commune(tx, COMMUNE, [], now, reception))
    alice = await resident(bot)
    (reply,) = await alice.send(COMPLAINT)
    assert "khiếu nại" in reply.visible and "không đưa ra tại hội nghị" in reply.visible
    assert reception in reply.visible and "Mã: YK-" in reply.visible
    assert reply.buttons == []
    await bot.settle()
    rows = await bot.fetch("SELECT state, kind, topic, reasons FROM opinions")
    state, kind, topic, reasons = rows[0]
    assert (state, kind, topic) == ("diverted", "khieu_nai", "dat_dai")
    assert "khiếu nại" in reasons
    history = await bot.fetch("SELECT to_state, reason FROM opinion_events ORDER BY id")
    assert history[-1][0] == "diverted" and "tiếp công dân" in history[-1][1]
    (mine,) = await alice.send("/my")
    assert "Chuyển quy trình tiếp công dân" in mine.visible


async def test_default_reception_wording(bot: RunningBot) -> None:
    alice = await resident(bot)
    (reply,) = await alice.send("Tôi tố cáo cán bộ địa chính Nguyễn Văn Hùng nhận tiền làm sổ đỏ")
    assert "tố cáo" in reply.visible
    assert "Bộ phận tiếp công dân của UBND Xã Giao Minh" in reply.visible


async def test_spam_is_kept_but_not_on_the_agenda(bot: RunningBot) -> None:
    alice = await resident(bot)
    (reply,) = await alice.send("Bán đất nền giá rẻ sổ đỏ chính chủ, liên hệ ngay 0912345678")
    assert "không phải là ý kiến" in reply.visible
    await bot.settle()
    assert await bot.fetch("SELECT state, kind FROM opinions") == [("rejected", "spam")]


async def test_an_edit_that_becomes_a_denunciation_is_diverted(bot: RunningBot) -> None:
    alice = await resident(bot)
    (ok,) = await alice.send("Đề nghị xã công khai danh sách hộ nghèo ở xóm 2")
    code = ok.visible.split("Mã ý kiến: ")[1].split()[0]
    await alice.press("edit:" + code)
    (reply,) = await alice.send("Tôi tố cáo trưởng thôn Trần Văn Bình lập danh sách hộ nghèo khống")
    assert "tố cáo" in reply.visible and "tiếp công dân" in reply.visible
    await bot.settle()
    assert await bot.fetch("SELECT state, kind FROM opinions") == [("diverted", "to_cao")]


async def test_corrections_and_near_duplicates(bot: RunningBot) -> None:
    alice, bob = await resident(bot), Person(bot.tg, 202, bot.clock)
    await bob.register(name="Trần Văn Bình", village="Xóm 1", phone=None)
    await alice.send("Đề nghị xã sửa đường liên thôn từ xóm 3 đến xóm 5 bị sụt lún")
    await bob.send("Bà con xóm 5 đề nghị sửa đoạn đường liên thôn bị sụt lún từ xóm 3")
    await alice.send("Đề nghị bổ sung thuốc cho trạm y tế xã")
    await bot.settle()
    codes = [r[0] for r in await bot.fetch("SELECT ref_code FROM opinions ORDER BY id")]
    now = bot.clock.now()

    def work(tx):
        road = tx.opinion_by_code(codes[1])
        return services.similar_opinions(tx, road)

    alike = await bot.rt.store.run(work)
    assert [code for code, _ in alike] == [codes[0]]
    await bot.rt.store.run(
        lambda tx: services.record_correction(tx, codes[2], "y_te", "kien_nghi", "mttq:an", now)
    )
    feedback = await bot.fetch("SELECT text, topic, kind, officer FROM nlp_feedback")
    assert feedback == [("Đề nghị bổ sung thuốc cho trạm y tế xã", "y_te", "kien_nghi", "mttq:an")]
