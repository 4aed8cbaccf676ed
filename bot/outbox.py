"""Delivery of the persisted outbox: every outgoing message, sent once, in order per chat.

A message is sent by whoever holds its lease. Replies are created leased to the process that
handled the incoming message, which delivers them at once; the loop here picks up everything
else: broadcasts, retries, and messages whose sender died (its lease expired). The outcome of
each send is recorded the moment it is known, so after a crash only the sends that were in
flight at that instant can go out a second time (the Bot API has no idempotency key).
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot.clock import Clock
from bot.errors import PermanentSendError, TransientSendError
from storage.repository import OutboxMessage, Store

log = logging.getLogger(__name__)


class Transport(Protocol):
    """One channel's way of delivering an outbox payload; returns the remote message id."""

    async def deliver(self, chat_id: str, payload: dict[str, Any]) -> str | None: ...


class RateLimiter:
    """At most `rate` sends per second, spread evenly (Telegram: about 30 per second overall).

    Paces real time, not the injectable clock: it is about the far side's limit."""

    def __init__(self, rate: float) -> None:
        self.interval = 1.0 / rate if rate > 0 else 0.0
        self._next = 0.0
        self._lock = asyncio.Lock()

    async def wait(self) -> None:
        if not self.interval:
            return
        async with self._lock:
            loop = asyncio.get_running_loop()
            now = loop.time()
            if self._next > now:
                await asyncio.sleep(self._next - now)
            self._next = max(self._next, now) + self.interval


class OutboxSender:
    def __init__(
        self,
        store: Store,
        clock: Clock,
        transports: dict[str, Transport],
        *,
        lease: timedelta = timedelta(seconds=30),
        batch: int = 200,
        concurrency: int = 32,
        poll_interval: float = 0.5,
        max_attempts: int = 8,
        rate: float = 25.0,
    ) -> None:
        self.store = store
        self.clock = clock
        self.transports = transports
        self.lease = lease
        self.batch = batch
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        self.max_attempts = max_attempts
        self.limiter = RateLimiter(rate)  # for what the loop sends: pushed messages, retries
        self._wake = asyncio.Event()

    async def deliver(self, messages: Sequence[OutboxMessage], paced: bool = False) -> None:
        """Send messages this process holds the lease of, in order (one chat's replies).

        If one must be retried later, the ones after it wait with it, so a resident never
        reads the answers of one message out of order.
        """
        for i, message in enumerate(messages):
            if paced:
                await self.limiter.wait()
            retry_at = await self._send_one(message)
            if retry_at is not None:
                for later in messages[i + 1 :]:
                    await self.store.outbox_retry(later.id, "waiting for an earlier message",
                                                  retry_at)  # fmt: skip
                return

    def wake(self) -> None:
        """Something new is due: don't wait for the next poll."""
        self._wake.set()

    async def run(self) -> None:
        """Deliver due messages until cancelled."""
        while True:
            try:
                sent = await self.drain_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("outbox loop failed; retrying")
                sent = 0
            if sent == 0:
                self._wake.clear()
                try:
                    await asyncio.wait_for(self._wake.wait(), self.poll_interval)
                except TimeoutError:
                    pass

    async def drain_once(self) -> int:
        """Claim one batch of due messages and deliver it; returns how many were claimed."""
        now = self.clock.now()
        claimed = await self.store.outbox_claim(now, now + self.lease, self.batch)
        if not claimed:
            return 0
        by_chat: dict[tuple[str, str], list[OutboxMessage]] = defaultdict(list)
        for message in claimed:
            by_chat[(message.channel, message.chat_id)].append(message)
        limit = asyncio.Semaphore(self.concurrency)

        async def one_chat(messages: list[OutboxMessage]) -> None:
            async with limit:
                await self.deliver(messages, paced=True)

        await asyncio.gather(*(one_chat(msgs) for msgs in by_chat.values()))
        return len(claimed)

    async def drain(self) -> None:
        """Deliver everything due now (for tests, the console and shutdown)."""
        while await self.drain_once():
            pass

    async def _send_one(self, message: OutboxMessage) -> datetime | None:
        """Send one message and record the outcome; returns when to retry, if it must be."""
        transport = self.transports.get(message.channel)
        if transport is None:
            log.error("no transport for channel %s (outbox %d)", message.channel, message.id)
            return None
        try:
            remote_id = await transport.deliver(message.chat_id, message.payload)
        except TransientSendError as err:
            if message.attempts >= self.max_attempts:
                await self.store.outbox_failed(message.id, f"gave up: {err}")
                return None
            wait = err.retry_after if err.retry_after is not None else min(2**message.attempts, 300)
            retry_at = self.clock.now() + timedelta(seconds=wait)
            await self.store.outbox_retry(message.id, str(err), retry_at)
            log.warning("outbox %d: retry in %.1fs (%s)", message.id, wait, err)
            return retry_at
        except PermanentSendError as err:
            await self.store.outbox_failed(message.id, str(err))
            log.warning("outbox %d: not deliverable (%s)", message.id, err)
        except Exception as err:
            log.exception("outbox %d: unexpected error while sending", message.id)
            retry_at = self.clock.now() + timedelta(seconds=30)
            await self.store.outbox_retry(message.id, repr(err), retry_at)
            return retry_at
        else:
            await self.store.outbox_sent(message.id, remote_id, self.clock.now())
        return None
