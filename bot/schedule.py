"""APScheduler wakes the bot when something is due; the database says what that is.

Two kinds of job run here: the session alarm (set for the next due session job, re-derived
from the sessions after every run, and checked every minute anyway so that sessions planned
or edited by another process, a restart, a clock jump or a missed run are caught up) and the
deadline check of departments' answers. Each run only calls a service function whose effects
fire once (unique rows in the database), so several bot processes may run this side by side.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot import answers, moderation, sessions
from bot.clock import VN_TZ, Clock
from bot.health import Health
from bot.ports import Store, Tx

log = logging.getLogger(__name__)

ALARM = "session-alarm"


class Scheduler:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        on_queued: Callable[[], None] = lambda: None,
        every: float = 60.0,
        health: Health | None = None,
    ) -> None:
        self.health = health
        self.store = store
        self.clock = clock
        self.on_queued = on_queued  # wakes the outbox loop when messages were queued
        self.every = every
        self.aps = AsyncIOScheduler(timezone=VN_TZ)

    def start(self) -> None:
        first = datetime.now(VN_TZ)
        common = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}
        self.aps.add_job(self.sessions_due, IntervalTrigger(seconds=self.every),
                         id="sessions", next_run_time=first, **common)  # fmt: skip
        self.aps.add_job(self.deadlines_due, IntervalTrigger(seconds=self.every),
                         id="deadlines", next_run_time=first, **common)  # fmt: skip
        quick = min(self.every, moderation.BURST_QUIET.total_seconds())
        self.aps.add_job(self.bursts_due, IntervalTrigger(seconds=quick),
                         id="bursts", next_run_time=first, **common)  # fmt: skip
        self.aps.start()

    def stop(self) -> None:
        if self.aps.running:
            self.aps.shutdown(wait=False)

    async def run(self) -> None:
        """Start, then watch APScheduler until cancelled (for the supervisor): a scheduler
        that stopped by itself is an error, and the supervisor starts a new one."""
        self.aps = AsyncIOScheduler(timezone=VN_TZ)
        self.start()
        try:
            while self.aps.running:  # noqa: ASYNC110 (APScheduler offers no event to await)
                await asyncio.sleep(min(self.every, 5.0))
            raise RuntimeError("the scheduler stopped")
        finally:
            self.stop()

    async def sessions_due(self) -> int:
        """Fire the session jobs that are due, then set the alarm for the next one."""
        queued = await self._queue(sessions.run_due, "session jobs")
        try:
            now = self.clock.now()
            self._arm(await self.store.run(lambda tx: sessions.next_due(tx, now)))
        except Exception:
            log.exception("could not set the session alarm; the next check retries")
        return queued

    async def deadlines_due(self) -> int:
        """Deadline reminders, overdue notices and escalations (each sent once)."""
        return await self._queue(answers.enqueue_deadline_notices, "deadline check")

    async def bursts_due(self) -> int:
        """Grouped cards of residents' bursts that have gone quiet."""
        return await self._queue(moderation.enqueue_burst_cards, "burst cards")

    async def _queue(self, work: Callable[[Tx, datetime], int], what: str) -> int:
        """Run a service that queues messages; wake the sender if it queued any."""
        try:
            now = self.clock.now()
            queued = await self.store.run(lambda tx: work(tx, now))
        except Exception as err:
            log.exception("%s failed; the next check retries", what)
            if self.health is not None:
                self.health.error("scheduler", err)
            return 0
        if self.health is not None:
            self.health.ok("scheduler")
        if queued:
            self.on_queued()
        return queued

    def _arm(self, when: datetime | None) -> None:
        if when is None:
            if self.aps.get_job(ALARM) is not None:
                self.aps.remove_job(ALARM)
            return
        # The injectable clock may not be the wall clock: keep the delay, not the instant.
        delay = max(0.0, (when - self.clock.now()).total_seconds())
        if delay > self.every:
            return  # the minutely check will come first
        run_at = datetime.now(VN_TZ) + timedelta(seconds=delay)
        self.aps.add_job(self.sessions_due, DateTrigger(run_date=run_at), id=ALARM,
                         replace_existing=True, misfire_grace_time=None)  # fmt: skip
