"""A thin client of the Zalo Bot API (https://bot-api.zaloplatforms.com/bot<TOKEN>/<method>).

Written here rather than taken from `python-zalo-bot`: that package is a partial fork of
python-telegram-bot (placeholder project metadata, synchronous webhook helpers that call
`asyncio.run`, the update's `event_name` lost in parsing) and pins an older httpx. The API is
small: POST JSON, read `{ok, result | error_code, description}`.

The token is part of every URL, so no URL is ever logged or put in an error message.
"""

from __future__ import annotations

import json
from typing import Any

import aiohttp

DEFAULT_TIMEOUT = 15.0


class ZaloError(Exception):
    """Base class: the call did not give a result."""


class ZaloNetworkError(ZaloError):
    """Zalo could not be reached, or did not answer in time: worth retrying."""


class ZaloApiError(ZaloError):
    """Zalo answered with `ok: false` (or an HTTP error): `code` says which."""

    def __init__(self, code: int, description: str) -> None:
        super().__init__(f"{code}: {description}")
        self.code = code
        self.description = description

    @property
    def no_update(self) -> bool:
        """getUpdates waited its whole timeout and nothing came (Zalo says 408)."""
        return self.code == 408

    @property
    def bad_token(self) -> bool:
        return self.code == 401


class ZaloApi:
    def __init__(self, token: str, base_url: str = "https://bot-api.zaloplatforms.com") -> None:
        self._base = f"{base_url.rstrip('/')}/bot{token}"
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(limit=64)
            self._session = aiohttp.ClientSession(connector=connector)
        return self._session

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def call(
        self, method: str, payload: dict[str, Any] | None = None, seconds: float = DEFAULT_TIMEOUT
    ) -> Any:
        """POST one method; its `result`, or ZaloApiError / ZaloNetworkError (also when no
        answer came within `seconds`)."""
        try:
            async with self._client().post(
                f"{self._base}/{method}",
                json=payload or {},
                timeout=aiohttp.ClientTimeout(total=seconds),
            ) as response:
                body = await response.text()
                status = response.status
        except (TimeoutError, aiohttp.ClientError) as err:
            raise ZaloNetworkError(f"{method}: {type(err).__name__}") from None
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise ZaloApiError(status if status >= 400 else 502, f"{method}: not a JSON object")
        if data.get("ok") is not True:
            code = data.get("error_code")
            code = code if isinstance(code, int) else (status if status >= 400 else 400)
            raise ZaloApiError(code, str(data.get("description") or "")[:300])
        return data.get("result")

    async def get_me(self) -> dict[str, Any]:
        result = await self.call("getMe")
        return result if isinstance(result, dict) else {}

    async def get_updates(self, wait: int) -> dict[str, Any] | None:
        """One update (Zalo gives them one at a time, with no offset), or None after Zalo
        waited `wait` seconds for one."""
        try:
            result = await self.call("getUpdates", {"timeout": wait}, seconds=wait + 10)
        except ZaloApiError as err:
            if err.no_update:
                return None
            raise
        return result if isinstance(result, dict) and result else None

    async def set_webhook(self, url: str, secret_token: str) -> None:
        await self.call("setWebhook", {"url": url, "secret_token": secret_token})

    async def delete_webhook(self) -> None:
        await self.call("deleteWebhook")

    async def send_message(self, chat_id: str, text: str) -> str | None:
        result = await self.call("sendMessage", {"chat_id": chat_id, "text": text})
        return str(result.get("message_id")) if isinstance(result, dict) else None
