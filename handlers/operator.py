"""Operators' pages on the bot's HTTP server: `/healthz` (JSON, 200 or 503) and `/metrics`
(Prometheus text format). Served on each webhook server and on DOITHOAI_HEALTH_PORT."""

from __future__ import annotations

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST

from bot import health, metrics
from bot.clock import Clock
from bot.ports import Store
from handlers.webhook import Handler


def routes(store: Store, clock: Clock, channels: list[str]) -> dict[str, Handler]:
    async def healthz(request: web.Request) -> web.Response:
        report = await health.report(store, clock.now(), channels)
        return web.json_response(report, status=200 if report["ok"] else 503)

    async def metrics_page(request: web.Request) -> web.Response:
        await health.report(store, clock.now(), channels)  # refreshes the database gauges
        return web.Response(body=metrics.render(),
                            headers={"Content-Type": CONTENT_TYPE_LATEST})  # fmt: skip

    return {"/healthz": healthz, "/metrics": metrics_page}
