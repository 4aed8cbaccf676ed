"""What the channel adapters share: the small web server a webhook posts to, and stopping
their background tasks."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.Response]]


class WebhookServer:
    """Serves POST `path` with `handler`; bodies over `max_body` bytes are refused (413)."""

    def __init__(self, path: str, handler: Handler, max_body: int) -> None:
        self.app = web.Application(client_max_size=max_body)
        self.app.router.add_post(path, handler)
        self._runner: web.AppRunner | None = None
        self.port: int | None = None

    async def start(self, listen: str, port: int) -> int:
        """Listen; returns the port (the real one when 0, any free port, was asked)."""
        runner = web.AppRunner(self.app, access_log=None)
        await runner.setup()
        site = web.TCPSite(runner, listen, port)
        await site.start()
        self._runner = runner
        sockets = site._server.sockets if site._server else []
        self.port = sockets[0].getsockname()[1] if sockets else port
        return self.port

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None


async def cancel_all(tasks: list[asyncio.Task[None]]) -> None:
    """Cancel the tasks and wait until they have stopped."""
    for task in tasks:
        task.cancel()
    for task in tasks:
        with contextlib.suppress(asyncio.CancelledError):
            await task
    tasks.clear()
