"""The reference point of bench/intake.py: a bare PTB echo bot with the default transport."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from telegram import Update
from telegram.ext import Application, ContextTypes, MessageHandler, filters


async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    assert update.message is not None and update.message.text is not None
    await update.message.reply_text(update.message.text)


sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--token", required=True)
    parser.add_argument("--api", required=True)
    parser.add_argument("--transport", choices=["httpx", "aiohttp"], default="httpx")
    args = parser.parse_args()
    builder = (
        Application.builder()
        .token(args.token)
        .base_url(f"{args.api}/bot")
        .concurrent_updates(True)  # as fast as a bare PTB bot gets
    )
    if args.transport == "aiohttp":  # the same echo bot on our transport, for comparison
        from handlers.telegram.request import AiohttpRequest

        builder = builder.request(AiohttpRequest(128)).get_updates_request(AiohttpRequest(2))
    app = builder.build()
    app.add_handler(MessageHandler(filters.TEXT, echo))
    app.run_polling(poll_interval=0, timeout=1, drop_pending_updates=False)


if __name__ == "__main__":
    main()
