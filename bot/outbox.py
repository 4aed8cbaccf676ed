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
import time
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from bot import metrics
from bot.clock import Clock
from bot.errors import PermanentSendError, TransientSendError
from bot.ports import OutboxMessage, Store

log = logging.getLogger(__name__)


MAX_IN_FLIGHT = 30  # sends whose outcome is not yet recorded: what a crash may duplicate


class Transport(Protocol):
    """One channel's way of delivering an outbox payload; returns the remote message id."""

    async def deliver(self, chat_id: str, payload: dict[str, Any]) -> str | None: ...


class RateLimiter:
    """A token bucket: `rate` sends per second on average, at most `burst` at once.

    Paces real time, not the injectable clock: it is about the far side's limit (Telegram:
    about 30 messages per second overall, about 1 per second in one chat). A small burst lets
    the sender make up for a pause (a claim, a slow answer) without ever exceeding the
    average; replies take their token without waiting (`take`), so broadcasts yield to them.
    """

    def __init__(self, rate: float, burst: float = 1.0) -> None:
        self.rate = rate
        self.burst = max(1.0, burst)
        self._tokens = self.burst
        self._stamp: float | None = None
        self._lock = asyncio.Lock()

    def _refill(self, now: float) -> None:
        if self._stamp is not None:
            self._tokens = min(self.burst, self._tokens + (now - self._stamp) * self.rate)
        self._stamp = now

    def full(self, now: float) -> bool:
        """Refilled to its burst: as good as new, so it can be forgotten."""
        return self._stamp is None or self._tokens + (now - self._stamp) * self.rate >= self.burst

    def take(self) -> None:
        """Use a token now, even if it means the next paced send waits longer."""
        if self.rate > 0:  # the far side counts about the last second, so does the debt
            self._refill(asyncio.get_running_loop().time())
            self._tokens = max(self._tokens - 1, -self.rate)

    async def wait(self) -> None:
        if self.rate <= 0:
            return
        async with self._lock:
            loop = asyncio.get_running_loop()
            self._refill(loop.time())
            if self._tokens < 1:
                await asyncio.sleep((1 - self._tokens) / self.rate)
                self._refill(loop.time())
            self._tokens -= 1


class ChatPacer:
    """One bucket per chat (about 1 message per second in one chat, short bursts allowed)."""

    def __init__(self, rate: float, burst: float = 3.0) -> None:
        self.rate = rate
        self.burst = burst
        self._buckets: dict[tuple[str, str], RateLimiter] = {}

    def _bucket(self, key: tuple[str, str]) -> RateLimiter:
        bucket = self._buckets.get(key)
        if bucket is None:
            if len(self._buckets) > 50_000:  # forget chats whose bucket has refilled
                now = asyncio.get_running_loop().time()
                for k in [k for k, b in self._buckets.items() if b.full(now)]:
                    del self._buckets[k]
            bucket = self._buckets[key] = RateLimiter(self.rate, self.burst)
        return bucket

    def take(self, key: tuple[str, str]) -> None:
        self._bucket(key).take()

    async def wait(self, key: tuple[str, str]) -> None:
        await self._bucket(key).wait()


@dataclass(frozen=True)
class Limits:
    """What one channel's far side allows (Telegram: about 30/s overall, 1/s in one chat)."""

    rate: float  # messages per second overall
    chat_rate: float  # messages per second to one chat, after a burst of 3


class _Lane:
    """One channel's pacing: its own overall and per-chat limits."""

    def __init__(self, limits: Limits) -> None:
        self.limiter = RateLimiter(limits.rate, burst=max(1.0, limits.rate / 10))
        self.chats = ChatPacer(limits.chat_rate)


class OutboxSender:
    """Claims due messages and sends them: at most `concurrency` sends in flight, paced by
    each channel's overall and per-chat limits, one chat's messages in order.

    Each channel is claimed for on its own, so a slow channel (a low limit, a backlog of
    retries) never holds up the others.

    `concurrency` bounds what a crash can duplicate: a send whose outcome was not yet
    recorded when the process died is sent again by whoever picks the message up next.
    """

    def __init__(
        self,
        store: Store,
        clock: Clock,
        transports: dict[str, Transport],
        *,
        lease: timedelta = timedelta(seconds=30),
        batch: int = 200,
        concurrency: int = MAX_IN_FLIGHT,
        poll_interval: float = 0.5,
        max_attempts: int = 8,
        rate: float = 25.0,
        chat_rate: float = 1.0,
        limits: dict[str, Limits] | None = None,
    ) -> None:
        self.store = store
        self.clock = clock
        self.transports = transports
        self.lease = lease
        self.batch = batch
        self.concurrency = concurrency
        self.poll_interval = poll_interval
        self.max_attempts = max_attempts
        self.default_limits = Limits(rate, chat_rate)  # for channels not in `limits`
        self.limits = dict(limits or {})
        self._lanes: dict[str, _Lane] = {}
        self._slots = asyncio.Semaphore(concurrency)
        self._queues: dict[tuple[str, str], deque[OutboxMessage]] = {}
        self._known: set[int] = set()  # claimed by this process and not finished
        self._tasks: set[asyncio.Task[None]] = set()
        self._wake = asyncio.Event()
        self.owner: str | None = None  # this worker's id, written on the leases it takes
        self.on_sent: Callable[[], None] = lambda: None  # a health mark
        self.on_error: Callable[[str], None] = lambda error: None

    def lane(self, channel: str) -> _Lane:
        lane = self._lanes.get(channel)
        if lane is None:
            lane = self._lanes[channel] = _Lane(self.limits.get(channel, self.default_limits))
        return lane

    def set_limits(self, channel: str, limits: Limits) -> None:
        self.limits[channel] = limits
        self._lanes.pop(channel, None)

    def claim_size(self, channel: str) -> int:
        """About two seconds of sending: what a dead process leaves stranded until its lease
        ends stays small, and the next claim is made while these are still going out."""
        rate = self.lane(channel).limiter.rate or 1000.0
        return max(self.concurrency, min(self.batch, int(rate * 2)))

    async def deliver(self, messages: Sequence[OutboxMessage], paced: bool = False) -> None:
        """Send messages this process holds the lease of, in order (one chat's replies).

        If one must be retried later, the ones after it wait with it, so a resident never
        reads the answers of one message out of order. Replies are not paced (a person is
        waiting) but use up the allowance, so the loop's broadcasts slow down for them.
        """
        for i, message in enumerate(messages):
            key = (message.channel, message.chat_id)
            lane = self.lane(message.channel)
            if paced:
                await lane.chats.wait(key)
                await lane.limiter.wait()
            else:
                lane.chats.take(key)
                lane.limiter.take()
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
        """Deliver due messages until cancelled: claim more while the last claim is still
        going out, so the allowance is used without gaps."""
        try:
            while True:
                more = False
                for channel in list(self.transports):
                    if self._backlog(channel) > self.claim_size(channel) // 2:
                        continue
                    try:
                        claimed = await self._claim(channel)
                    except asyncio.CancelledError:
                        raise
                    except Exception:
                        log.exception("outbox claim failed; retrying")
                        continue
                    more |= bool(claimed) and (
                        self._backlog(channel) <= self.claim_size(channel) // 2
                    )
                if more:
                    continue
                self._wake.clear()
                waker = asyncio.create_task(self._wake.wait())
                try:
                    await asyncio.wait({waker, *self._tasks}, timeout=self.poll_interval,
                                       return_when=asyncio.FIRST_COMPLETED)  # fmt: skip
                finally:
                    waker.cancel()
        finally:
            for task in list(self._tasks):
                task.cancel()

    async def drain_once(self) -> int:
        """Claim one batch of due messages and deliver it; returns how many were claimed."""
        claimed = 0
        for channel in list(self.transports):
            claimed += await self._claim(channel)
        while self._tasks:
            await asyncio.gather(*list(self._tasks))
        return claimed

    async def drain(self) -> None:
        """Deliver everything due now (for tests, the console and shutdown)."""
        while await self.drain_once():
            pass

    def _backlog(self, channel: str) -> int:
        return sum(len(q) for (ch, _), q in self._queues.items() if ch == channel)

    async def _claim(self, channel: str) -> int:
        """Claim due messages of one channel (only channels this process can send on)."""
        now = self.clock.now()
        room = self.claim_size(channel) - self._backlog(channel)
        if room <= 0:
            return 0
        claimed = await self.store.outbox_claim(now, now + self.lease, room, channel, self.owner)
        fresh = [m for m in claimed if m.id not in self._known]  # re-claimed: already queued
        for message in fresh:
            self._known.add(message.id)
            key = (message.channel, message.chat_id)
            queue = self._queues.get(key)
            if queue is None:
                self._queues[key] = deque([message])
                task = asyncio.create_task(self._chat_worker(key))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
            else:
                queue.append(message)
        return len(fresh)

    async def _chat_worker(self, key: tuple[str, str]) -> None:
        """Send one chat's claimed messages in order, paced; stop the chat at a retry."""
        queue = self._queues[key]
        lane = self.lane(key[0])
        try:
            while queue:
                message = queue[0]
                await lane.chats.wait(key)
                await lane.limiter.wait()  # before the slot: a slow channel holds none waiting
                async with self._slots:
                    retry_at = await self._send_one(message)
                queue.popleft()
                self._known.discard(message.id)
                if retry_at is not None:
                    while queue:
                        later = queue.popleft()
                        self._known.discard(later.id)
                        await self.store.outbox_retry(later.id, "waiting for an earlier message",
                                                      retry_at)  # fmt: skip
        except Exception:
            log.exception("outbox: sending to %s failed; the lease will bring it back", key)
        finally:
            for left in queue:
                self._known.discard(left.id)
            self._queues.pop(key, None)

    async def _edit(self, transport: Transport, message: OutboxMessage) -> str | None:
        """An edit of a message sent before (`bot.delivery`): done where the channel can edit
        a sent message, a no-op where it cannot or where the message never went out."""
        edit = getattr(transport, "edit", None)
        target = await self.store.outbox_remote_id(int(message.payload["edit"]))
        if edit is None or target is None:
            return None
        await edit(message.chat_id, target, message.payload)
        return target

    async def _send_one(self, message: OutboxMessage) -> datetime | None:
        """Send one message and record the outcome; returns when to retry, if it must be."""
        transport = self.transports.get(message.channel)
        if transport is None:
            log.error("no transport for channel %s (outbox %d)", message.channel, message.id)
            return None
        started = time.monotonic()
        try:
            if "edit" in message.payload:
                remote_id = await self._edit(transport, message)
            else:
                remote_id = await transport.deliver(message.chat_id, message.payload)
        except TransientSendError as err:
            metrics.SEND_FAILED.labels(message.channel, "retry").inc()
            self.on_error(f"{message.channel}: {err}")
            if message.attempts >= self.max_attempts:
                await self.store.outbox_failed(message.id, f"gave up: {err}")
                return None
            wait = (
                err.retry_after
                if err.retry_after is not None
                else min(2 ** (message.attempts - 1), 300)
            )
            retry_at = self.clock.now() + timedelta(seconds=wait)
            await self.store.outbox_retry(message.id, str(err), retry_at)
            log.warning("outbox %d: retry in %.1fs (%s)", message.id, wait, err)
            return retry_at
        except PermanentSendError as err:
            metrics.SEND_FAILED.labels(message.channel, "undeliverable").inc()
            await self.store.outbox_failed(message.id, str(err))
            if err.unreachable:  # blocked the bot: no more broadcasts until they write again
                await self.store.identity_deactivate(message.channel, message.chat_id,
                                                     self.clock.now())  # fmt: skip
            log.warning("outbox %d: not deliverable (%s)", message.id, err)
        except Exception as err:
            metrics.SEND_FAILED.labels(message.channel, "error").inc()
            self.on_error(f"{message.channel}: {err!r}")
            log.exception("outbox %d: unexpected error while sending", message.id)
            retry_at = self.clock.now() + timedelta(seconds=30)
            await self.store.outbox_retry(message.id, repr(err), retry_at)
            return retry_at
        else:
            metrics.SEND_SECONDS.labels(message.channel).observe(time.monotonic() - started)
            metrics.SENT.labels(message.channel).inc()
            await self.store.outbox_sent(message.id, remote_id, self.clock.now())
            self.on_sent()
        return None
