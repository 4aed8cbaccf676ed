"""Logging set-up: one line per record, whatever a resident typed, and quiet libraries.

Residents and callers control much of what is logged (texts, button data, ids). A newline in
such a value must not start a forged log line, so the message part of each record is
written with its control characters escaped; tracebacks keep their lines.
"""

from __future__ import annotations

import logging
import re
import sys

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]")
# Libraries whose INFO lines an operator does not need (APScheduler logs two a minute).
QUIET = ("httpx", "telegram.ext", "aiohttp.access", "apscheduler")


class OneLineFormatter(logging.Formatter):
    def formatMessage(self, record: logging.LogRecord) -> str:
        message = record.message
        record.message = _CONTROL.sub(lambda m: repr(m.group())[1:-1], message)
        try:
            return super().formatMessage(record)
        finally:
            record.message = message


def setup(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLineFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for noisy in QUIET:
        logging.getLogger(noisy).setLevel(logging.WARNING)
