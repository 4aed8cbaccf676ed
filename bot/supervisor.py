"""One supervisor for every long-running task: intake, outbox, scheduler, heartbeat.

A task that dies is logged loudly and restarted with backoff (1 s, 2 s, 4 s … 30 s), so one
bad moment never leaves the bot alive but deaf. A task that keeps dying (more than
`max_deaths` times in `window`) or raises a `FatalError` makes the supervisor fail: the
process then exits non-zero and systemd or Docker restarts it, with an operator told why.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable

from bot.errors import DoiThoaiError

log = logging.getLogger(__name__)


class FatalError(DoiThoaiError):
    """A task cannot go on (a rejected token, a task dying again and again)."""


class Supervisor:
    def __init__(
        self,
        *,
        max_deaths: int = 5,
        window: float = 300.0,
        first_delay: float = 1.0,
        max_delay: float = 30.0,
        on_death: Callable[[str, BaseException], None] | None = None,
    ) -> None:
        self.max_deaths = max_deaths
        self.window = window
        self.first_delay = first_delay
        self.max_delay = max_delay
        self.on_death = on_death
        self.deaths: dict[str, int] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}
        self._failed: asyncio.Future[FatalError] | None = None

    @property
    def failed(self) -> asyncio.Future[FatalError]:
        """Resolved with the reason when a task cannot be kept running."""
        if self._failed is None:
            self._failed = asyncio.get_running_loop().create_future()
        return self._failed

    def spawn(self, name: str, run: Callable[[], Awaitable[None]]) -> asyncio.Task[None]:
        """Run `run()` as task `name`, restarting it whenever it ends or raises."""
        task = asyncio.create_task(self._keep(name, run), name=name)
        self._tasks[name] = task
        return task

    async def _keep(self, name: str, run: Callable[[], Awaitable[None]]) -> None:
        recent: deque[float] = deque()
        delay = self.first_delay
        while True:
            started = time.monotonic()
            try:
                await run()
                error: BaseException = RuntimeError("the task returned")
            except asyncio.CancelledError:
                raise
            except FatalError as err:
                log.critical("%s cannot go on: %s", name, err)
                self._fail(err)
                return
            except Exception as err:
                error = err
            self.deaths[name] = self.deaths.get(name, 0) + 1
            if self.on_death is not None:
                with contextlib.suppress(Exception):
                    self.on_death(name, error)
            now = time.monotonic()
            if now - started > self.window:  # it ran well for a while: start afresh
                delay = self.first_delay
            recent.append(now)
            while recent and now - recent[0] > self.window:
                recent.popleft()
            if len(recent) > self.max_deaths:
                log.critical("%s died %d times in %.0f s; giving up", name, len(recent),
                             self.window, exc_info=error)  # fmt: skip
                self._fail(FatalError(f"{name} keeps dying: {error!r}"))
                return
            log.error("%s died (%r); restarting in %.0f s", name, error, delay, exc_info=error)
            await asyncio.sleep(delay)
            delay = min(delay * 2, self.max_delay)

    def _fail(self, err: FatalError) -> None:
        if not self.failed.done():
            self.failed.set_result(err)

    async def cancel(self, name: str) -> None:
        """Stop one task (its owner is stopping) without it counting as a death."""
        task = self._tasks.pop(name, None)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    async def stop(self) -> None:
        tasks = list(self._tasks.values())
        self._tasks.clear()
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
