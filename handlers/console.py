"""The console channel: the resident conversation in a terminal, for trying the bot locally.

The same core as Telegram: lines are stored in the inbox, handled by the conversation
engine, and the replies go through the outbox. Choices are shown numbered ("Gõ 1 ...").
"""

from __future__ import annotations

import asyncio
import json
import sys
import uuid
from datetime import timedelta
from typing import Any, TextIO

from bot import sessions, texts
from bot.clock import Clock, FastClock
from bot.conversation import Conversation
from bot.messages import Inbound, InboundKind
from bot.outbox import OutboxSender
from bot.ports import NewInbound, Store, Tx
from handlers.plain import numbered

CHANNEL = "console"


class ConsoleTransport:
    def __init__(self, out: TextIO) -> None:
        self.out = out

    async def deliver(self, chat_id: str, payload: dict[str, Any]) -> str | None:
        self.out.write("\nBot: " + numbered(payload).replace("\n", "\n     ") + "\n")
        self.out.flush()
        return None


def parse_line(line: str, user: str, key: str, clock: Clock) -> Inbound:
    text = line.rstrip("\n")
    base = {
        "channel": CHANNEL,
        "event_key": key,
        "user_key": user,
        "chat_id": user,
        "received_at": clock.now(),
    }
    if text.startswith("/"):
        head, _, args = text[1:].partition(" ")
        return Inbound(kind=InboundKind.COMMAND, command=head.lower(), text=args, **base)
    return Inbound(kind=InboundKind.TEXT, text=text, **base)


async def chat(
    store: Store,
    conversation: Conversation,
    sender: OutboxSender,
    clock: Clock,
    user: str = "local",
    stdin: TextIO = sys.stdin,
    stdout: TextIO = sys.stdout,
) -> None:
    """Read lines until end of input; each line is one message from `user`."""
    sender.transports[CHANNEL] = ConsoleTransport(stdout)
    run = uuid.uuid4().hex[:8]
    stdout.write("Đối thoại — kênh thử nghiệm trên máy (gõ /start để bắt đầu, Ctrl-D để thoát)\n")
    stdout.flush()
    loop = asyncio.get_running_loop()
    number = 0
    while True:
        stdout.write("\nBạn: ")
        stdout.flush()
        line = await loop.run_in_executor(None, stdin.readline)
        if not line:
            stdout.write("\n")
            break
        number += 1
        key = f"{run}-{number}"
        await store.inbox_store(
            [NewInbound(CHANNEL, key, user, json.dumps({"text": line}, ensure_ascii=False))],
            clock.now(),
        )
        outgoing = await conversation.handle(parse_line(line, user, key, clock))
        await sender.deliver(outgoing)


async def timeline(store: Store, clock: FastClock, out: TextIO) -> None:
    """With a fast clock: when, in real seconds, the coming session messages will arrive."""
    now = clock.now()

    def upcoming(tx: Tx) -> list[sessions.Job]:
        jobs: list[sessions.Job] = []
        for session in tx.sessions_live():
            assert session.id is not None
            done = set(tx.session_jobs_done(session.id))
            jobs += [j for j in sessions.pending_jobs(session, done) if j.due_at > now]
        return sorted(jobs, key=lambda j: j.due_at)

    jobs = await store.run(upcoming)
    lines = [texts.FAST_CLOCK.format(seconds=f"{clock.real_seconds(timedelta(days=1)):g}")]
    if jobs:
        lines.append(texts.FAST_CLOCK_NEXT)
    for job in jobs[:6]:
        wait = clock.real_seconds(job.due_at - now)
        lines.append(texts.FAST_CLOCK_JOB.format(what=texts.JOB_NAMES.get(job.kind, job.kind),
                                                 seconds=f"{wait:.0f}"))  # fmt: skip
    out.write("\n".join(lines) + "\n")
    out.flush()
