"""Is the bot well? What each component did last, and what waits, for `doithoai health`
and `/healthz`.

Components mark themselves here: each channel's intake after every successful poll or
webhook call, the outbox after sends, the scheduler after each run, and any of them when
they fail. The marks are rows in the database, so `doithoai health` run beside the bot (or
on another machine with the same database) sees what the running workers see.
"""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bot import metrics
from bot.clock import Clock, iso
from bot.ports import Store

log = logging.getLogger(__name__)

MARK_EVERY = 2.0  # seconds between two stored "ok" marks of one component


@dataclass(frozen=True)
class Thresholds:
    """How old a mark or a backlog may get before the bot is called unwell."""

    intake: timedelta = timedelta(minutes=3)  # a channel's last successful poll / webhook
    scheduler: timedelta = timedelta(minutes=5)
    inbox_lag: timedelta = timedelta(minutes=2)  # oldest update stored but not handled
    outbox_lag: timedelta = timedelta(minutes=10)  # oldest due message not sent


class Health:
    """Marks of this worker's components (stored at most every `MARK_EVERY` seconds)."""

    def __init__(self, store: Store, clock: Clock, worker: str) -> None:
        self.store = store
        self.clock = clock
        self.worker = worker
        self._marked: dict[str, float] = {}
        self._pending: set[asyncio.Task[None]] = set()

    def ok(self, component: str) -> None:
        now = time.monotonic()
        if now - self._marked.get(component, -MARK_EVERY) < MARK_EVERY:
            return
        self._marked[component] = now
        self._spawn(self.store.health_mark(component, self.worker, self.clock.now()))

    def error(self, component: str, error: BaseException | str) -> None:
        text = error if isinstance(error, str) else f"{type(error).__name__}: {error}"
        self._spawn(self.store.health_mark(component, self.worker, self.clock.now(), text))

    def _spawn(self, mark: Any) -> None:
        async def write() -> None:
            try:
                await mark
            except Exception as err:  # health must never hurt the work it watches
                log.debug("could not store a health mark: %s", err)

        task = asyncio.get_running_loop().create_task(write())
        self._pending.add(task)
        task.add_done_callback(self._pending.discard)

    async def flush(self) -> None:
        if self._pending:
            await asyncio.gather(*list(self._pending), return_exceptions=True)


async def report(
    store: Store,
    now: datetime,
    channels: list[str],
    scheduler: bool = True,
    limits: Thresholds = Thresholds(),
) -> dict[str, Any]:
    """The state of the bot as an operator reads it; `ok` is False when something is stuck."""
    marks = await store.health_all()
    backlog = await store.backlog(now)
    workers = await store.workers_live()
    problems: list[str] = []

    def latest(component: str) -> tuple[datetime | None, datetime | None, str | None]:
        rows = [m for m in marks if m.component == component]
        ok = max((m.ok_at for m in rows if m.ok_at), default=None)
        errors = [m for m in rows if m.error_at]
        last = max(errors, key=lambda m: m.error_at or now, default=None)
        return ok, (last.error_at if last else None), (last.error if last else None)

    def age(when: datetime | None) -> float | None:
        return None if when is None else round((now - when).total_seconds(), 1)

    out_channels: dict[str, Any] = {}
    for channel in channels:
        ok, error_at, error = latest(f"{channel}:intake")
        inbox_oldest = backlog.inbox_oldest.get(channel)
        outbox_oldest = backlog.outbox_oldest.get(channel)
        out_channels[channel] = {
            "last_ok": iso(ok) if ok else None,
            "last_ok_age_s": age(ok),
            "inbox_unhandled": backlog.inbox_unhandled.get(channel, 0),
            "inbox_oldest_age_s": age(inbox_oldest),
            "outbox_waiting": backlog.outbox_waiting.get(channel, 0),
            "outbox_oldest_age_s": age(outbox_oldest),
            "last_error": error,
            "last_error_at": iso(error_at) if error_at else None,
        }
        metrics.OUTBOX_DEPTH.labels(channel).set(backlog.outbox_waiting.get(channel, 0))
        metrics.OUTBOX_OLDEST.labels(channel).set(age(outbox_oldest) or 0)
        metrics.INBOX_LAG.labels(channel).set(backlog.inbox_unhandled.get(channel, 0))
        if ok is None or now - ok > limits.intake:
            problems.append(f"{channel}: no successful poll or webhook call for too long")
        if inbox_oldest is not None and now - inbox_oldest > limits.inbox_lag:
            problems.append(f"{channel}: updates wait to be handled")
        if outbox_oldest is not None and now - outbox_oldest > limits.outbox_lag:
            problems.append(f"{channel}: messages wait to be sent")
    sched_ok, sched_error_at, sched_error = latest("scheduler")
    if scheduler and (sched_ok is None or now - sched_ok > limits.scheduler):
        problems.append("scheduler: no run for too long")
    out_sent, out_error_at, out_error = latest("outbox")
    if not workers:
        problems.append("no bot worker is running")
    return {
        "ok": not problems,
        "problems": problems,
        "workers": [{"id": w.id, "heartbeat_age_s": age(w.heartbeat_at)} for w in workers],
        "channels": out_channels,
        "scheduler": {"last_run": iso(sched_ok) if sched_ok else None,
                      "last_run_age_s": age(sched_ok), "last_error": sched_error,
                      "last_error_at": iso(sched_error_at) if sched_error_at else None},
        "outbox": {"last_sent": iso(out_sent) if out_sent else None, "last_error": out_error,
                   "last_error_at": iso(out_error_at) if out_error_at else None},
        "quarantined_updates": backlog.quarantined,
    }  # fmt: skip
