"""Registered residents made through the service layer (for tests and benchmarks)."""

from __future__ import annotations

from datetime import datetime

from bot import services
from bot.clock import Clock
from bot.model import DialogueSession, Organisation
from bot.ports import Tx
from storage.sqlite import SqliteStore

FIRST_USER = 500_000


async def register_residents(
    store: SqliteStore,
    clock: Clock,
    count: int,
    commune: int,
    session_start: datetime,
    session_cutoff: datetime,
) -> list[int]:
    """A commune with a session and `count` residents on Telegram; returns their user ids."""
    now = clock.now()
    users = list(range(FIRST_USER, FIRST_USER + count))

    def work(tx: Tx) -> None:
        services.add_commune(tx, commune, ["Xóm 1", "Xóm 2"], now)
        village = tx.villages_list(commune)[0]
        services.plan_session(
            tx,
            DialogueSession(None, commune, "Đối thoại", session_start, "Hội trường", "Chủ tịch",
                            session_cutoff),
            now,
        )  # fmt: skip
        for user in users:
            reg = services.Registration(
                full_name=f"Cử Tri Số {user}",
                commune_code=commune,
                village_id=village.id,
                village_name=village.name,
                phone=None,
                organisation=Organisation.NONE,
                consent_at=now,
            )
            services.register_resident(tx, "telegram", str(user), str(user), reg, now)

    await store.run(work)
    return users
