"""What the channel adapters share: the small web server a webhook posts to (which also
answers `/healthz` and `/metrics`), reading a webhook body safely, and stopping tasks."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.Response]]


class WebhookServer:
    """Serves POST `path` with `handler`; bodies over `max_body` bytes are refused (413).
    `routes` adds GET pages for operators (`/healthz`, `/metrics`)."""

    def __init__(
        self,
        path: str | None,
        handler: Handler | None,
        max_body: int,
        routes: dict[str, Handler] | None = None,
    ) -> None:
        self.app = web.Application(client_max_size=max_body)
        if path is not None and handler is not None:
            self.app.router.add_post(path, handler)
        for route, page in (routes or {}).items():
            self.app.router.add_get(route, page)
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


class BadBody(ValueError):
    """A webhook body that is not a JSON document we can read."""


async def read_json(request: web.Request) -> tuple[Any, str]:
    """The body as JSON and as text; `BadBody` for invalid UTF-8, JSON that does not parse
    or nests too deep, and bodies over the size limit, so the caller answers 400 (413)."""
    try:
        raw = await request.read()
    except web.HTTPRequestEntityTooLarge:
        raise
    try:
        text = raw.decode("utf-8")
        return json.loads(text), text
    except (UnicodeDecodeError, ValueError, RecursionError) as err:
        raise BadBody(type(err).__name__) from None
