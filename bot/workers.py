"""Who is running: each bot process is a worker with an identity and a heartbeat.

A reply is leased to the worker that handled the message, which sends it at once. If that
worker dies, its leases would hold the replies back until they expire (30 s). A worker
that starts, and every heartbeat after, looks for workers known to be dead: on this host, a
process that no longer exists (its pid and start tick no longer match); anywhere, a worker
whose heartbeat stopped more than `stale` ago. Their leases are released at once. A worker
that is merely slow keeps beating, so several workers can run side by side safely.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.clock import Clock
from bot.ports import Store, WorkerRecord

log = logging.getLogger(__name__)

HEARTBEAT_EVERY = 5.0  # seconds
STALE_AFTER = timedelta(seconds=60)  # no heartbeat for this long: dead, wherever it ran


def _proc_start(pid: int) -> str:
    """The process's start tick (Linux /proc), so a pid reused by another process differs."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return fields[19]  # field 22 of stat(5), counted after the command name
    except (OSError, IndexError):
        return ""


def process_alive(pid: int, proc_start: str) -> bool:
    """Is this (pid, start tick) still a running process on this host?"""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        pass
    current = _proc_start(pid)
    return not (proc_start and current and current != proc_start)


class Worker:
    """This process's identity, its heartbeat, and the release of dead workers' leases."""

    def __init__(self, store: Store, clock: Clock, stale: timedelta = STALE_AFTER) -> None:
        self.store = store
        self.clock = clock
        self.stale = stale
        self.host = socket.gethostname()
        self.pid = os.getpid()
        self.id = f"{self.host}:{self.pid}:{uuid.uuid4().hex[:8]}"

    async def start(self) -> int:
        """Register, then release what dead predecessors held; returns the leases freed."""
        now = self.clock.now()
        await self.store.worker_start(
            WorkerRecord(self.id, self.host, self.pid, _proc_start(self.pid), now, now, None)
        )
        return await self.reap(now)

    async def stop(self) -> None:
        await self.store.worker_stop(self.id, self.clock.now())

    def _dead(self, worker: WorkerRecord, now: datetime) -> bool:
        if worker.id == self.id:
            return False
        if worker.host == self.host and not process_alive(worker.pid, worker.proc_start):
            return True
        return now - worker.heartbeat_at > self.stale

    async def reap(self, now: datetime | None = None) -> int:
        now = now or self.clock.now()
        dead = [w.id for w in await self.store.workers_live() if self._dead(w, now)]
        freed = await self.store.workers_release(dead, now)
        if dead:
            log.warning("released %d send leases of %d stopped worker(s): %s", freed, len(dead),
                        ", ".join(dead))  # fmt: skip
        return freed

    async def run(self, on_freed: Callable[[], None] = lambda: None) -> None:
        """Beat until cancelled; freed leases wake the outbox (`on_freed`)."""
        while True:
            await asyncio.sleep(HEARTBEAT_EVERY)
            now = self.clock.now()
            await self.store.worker_heartbeat(self.id, now)
            if await self.reap(now):
                on_freed()
