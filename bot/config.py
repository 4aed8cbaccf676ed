"""Settings from environment variables (and an optional .env file), checked at start-up."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from urllib.parse import urlparse

from dotenv import dotenv_values

from bot.errors import ConfigError

PREFIX = "DOITHOAI_"
_TOKEN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{20,}$")
_SECRET = re.compile(r"^[A-Za-z0-9_-]{16,256}$")
_ZALO_TOKEN = re.compile(r"^\d{3,}:[A-Za-z0-9_-]{10,}$")
_OFFSET = re.compile(r"^([+-]?\d+(?:\.\d+)?)([smhd]?)$")
_ZALO_SECRET = re.compile(r"^[A-Za-z0-9_-]{8,256}$")

# name, default, meaning: the README's configuration table is written from this list.
VARIABLES: list[tuple[str, str, str]] = [
    ("TELEGRAM_TOKEN", "", "Bot token from @BotFather. Empty, and no Zalo token: terminal."),
    ("DATABASE", "doithoai.sqlite3", "Path of the SQLite database file."),
    ("MODEL_DIR", "models", "Folder of the language model, built from the corpus on first start."),
    ("TELEGRAM_MODE", "polling", "`polling` (long polling) or `webhook`."),
    ("WEBHOOK_URL", "", "Public HTTPS address Telegram posts updates to (webhook mode)."),
    ("WEBHOOK_SECRET", "", "Secret Telegram sends back in a header (16-256 of A-Z a-z 0-9 _ -)."),
    ("WEBHOOK_LISTEN", "127.0.0.1", "Address the webhook server binds to."),
    ("WEBHOOK_PORT", "8443", "Port the webhook server listens on (0: any free port)."),
    ("TELEGRAM_API_URL", "", "Bot API base URL (a local Bot API server); empty for Telegram's."),
    ("TELEGRAM_TRANSPORT", "aiohttp", "HTTP client for the Bot API: `aiohttp` (fast) or `httpx`."),
    ("POLL_TIMEOUT", "30", "Long-polling timeout in seconds."),
    ("FLOOD_LIMIT", "10", "Messages one person may send per flood window before answers pause."),
    ("FLOOD_WINDOW", "10", "Flood window in seconds."),
    ("SEND_RATE", "30", "Messages per second sent overall (Telegram allows about 30/s)."),
    ("CHAT_SEND_RATE", "1", "Messages per second to one chat, after a burst of 3 (Telegram ~1/s)."),
    ("OUTBOX_LEASE", "30", "Seconds a process owns a message it is sending; then others retry."),
    ("SCHEDULE_EVERY", "60", "Seconds between checks for due session jobs and deadlines."),
    ("ZALO_TOKEN", "", "Zalo Bot token from Zalo Bot Creator. Empty: no Zalo channel."),
    ("ZALO_MODE", "polling", "`polling` (getUpdates) or `webhook` (Zalo's advice in production)."),
    ("ZALO_WEBHOOK_URL", "", "Public HTTPS address Zalo posts updates to (webhook mode)."),
    ("ZALO_WEBHOOK_SECRET", "", "Secret Zalo sends back in a header (8-256 of A-Z a-z 0-9 _ -)."),
    ("ZALO_WEBHOOK_PORT", "8444", "Port the Zalo webhook server listens on (0: any free port)."),
    ("ZALO_API_URL", "https://bot-api.zaloplatforms.com", "Zalo Bot API base URL."),
    ("ZALO_SEND_RATE", "10", "Messages per second sent on Zalo overall (Zalo publishes no limit)."),
    ("ZALO_CHAT_SEND_RATE", "1", "Messages per second to one Zalo chat, after a burst of 3."),
    ("CLOCK_OFFSET", "0", "Move the bot's clock (e.g. `7d`, `36h`, `-2d`): to try deadlines and"
     " announcements by hand. Never in production."),
    ("HEALTH_PORT", "", "Port of `/healthz` and `/metrics` on WEBHOOK_LISTEN (empty: only on a"
     " webhook server)."),
    ("LOG_LEVEL", "INFO", "Logging level: DEBUG, INFO, WARNING, ERROR."),
]


@dataclass(frozen=True)
class Settings:
    telegram_token: str | None
    database: Path
    model_dir: Path
    telegram_mode: str
    webhook_url: str | None
    webhook_secret: str | None
    webhook_listen: str
    webhook_port: int
    telegram_api_url: str | None
    telegram_transport: str
    poll_timeout: int
    flood_limit: int
    flood_window: float
    outbox_lease: float
    send_rate: float
    chat_send_rate: float
    schedule_every: float
    log_level: str
    zalo_token: str | None = None
    zalo_mode: str = "polling"
    zalo_webhook_url: str | None = None
    zalo_webhook_secret: str | None = None
    zalo_webhook_port: int = 8444
    zalo_api_url: str = "https://bot-api.zaloplatforms.com"
    zalo_send_rate: float = 10.0
    zalo_chat_send_rate: float = 1.0
    health_port: int | None = None
    clock_offset: timedelta = timedelta(0)

    @classmethod
    def from_env(
        cls, env: Mapping[str, str] | None = None, env_file: str | Path | None = ".env"
    ) -> Settings:
        """Read the settings: real environment variables win over the .env file."""
        values: dict[str, str] = {}
        if env_file and Path(env_file).is_file():
            values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
        values.update(os.environ if env is None else env)
        return cls.parse(values)

    @classmethod
    def parse(cls, values: Mapping[str, str]) -> Settings:
        problems: list[str] = []

        def get(name: str) -> str:
            default = next(d for n, d, _ in VARIABLES if n == name)
            return values.get(PREFIX + name, default).strip()

        def integer(name: str, low: int, high: int) -> int:
            raw = get(name)
            try:
                number = int(raw)
            except ValueError:
                problems.append(f"{PREFIX}{name}={raw!r} is not a whole number")
                return low
            if not low <= number <= high:
                problems.append(f"{PREFIX}{name}={number} must be between {low} and {high}")
            return number

        def offset(raw: str) -> timedelta:
            match = _OFFSET.match(raw.replace(" ", ""))
            if not match:
                problems.append(f"{PREFIX}CLOCK_OFFSET={raw!r} is not like 7d, 36h, 90m or -2d")
                return timedelta(0)
            unit = {"": "seconds", "s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
            return timedelta(**{unit[match.group(2)]: float(match.group(1))})

        token = get("TELEGRAM_TOKEN") or values.get("TELEGRAM_BOT_TOKEN", "").strip() or None
        if token and not _TOKEN.match(token):
            problems.append(
                f"{PREFIX}TELEGRAM_TOKEN does not look like a bot token (digits:letters,"
                " as @BotFather gives it)"
            )
        mode = get("TELEGRAM_MODE").lower()
        if mode not in ("polling", "webhook"):
            problems.append(f"{PREFIX}TELEGRAM_MODE must be 'polling' or 'webhook', not {mode!r}")
        webhook_url = get("WEBHOOK_URL") or None
        secret = get("WEBHOOK_SECRET") or None
        if mode == "webhook":
            if not webhook_url:
                problems.append(f"{PREFIX}WEBHOOK_URL is required in webhook mode")
            elif not _https_or_local(webhook_url):
                problems.append(f"{PREFIX}WEBHOOK_URL must be an https:// address")
            if not secret:
                problems.append(f"{PREFIX}WEBHOOK_SECRET is required in webhook mode")
        if secret and not _SECRET.match(secret):
            problems.append(
                f"{PREFIX}WEBHOOK_SECRET must be 16-256 characters of A-Z, a-z, 0-9, _ and -"
            )
        api_url = get("TELEGRAM_API_URL") or None
        if api_url and urlparse(api_url).scheme not in ("http", "https"):
            problems.append(f"{PREFIX}TELEGRAM_API_URL must start with http:// or https://")
        transport = get("TELEGRAM_TRANSPORT").lower()
        if transport not in ("aiohttp", "httpx"):
            problems.append(f"{PREFIX}TELEGRAM_TRANSPORT must be 'aiohttp' or 'httpx'")
        level = get("LOG_LEVEL").upper()
        if level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
            problems.append(f"{PREFIX}LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR")
        database = get("DATABASE")
        if not database:
            problems.append(f"{PREFIX}DATABASE must not be empty")
        zalo_token = get("ZALO_TOKEN") or None
        if zalo_token and not _ZALO_TOKEN.match(zalo_token):
            problems.append(
                f"{PREFIX}ZALO_TOKEN does not look like a Zalo Bot token (digits:letters, as"
                " Zalo Bot Creator sends it)"
            )
        zalo_mode = get("ZALO_MODE").lower()
        if zalo_mode not in ("polling", "webhook"):
            problems.append(f"{PREFIX}ZALO_MODE must be 'polling' or 'webhook', not {zalo_mode!r}")
        zalo_url = get("ZALO_WEBHOOK_URL") or None
        zalo_secret = get("ZALO_WEBHOOK_SECRET") or None
        if zalo_token and zalo_mode == "webhook":
            if not zalo_url:
                problems.append(f"{PREFIX}ZALO_WEBHOOK_URL is required in Zalo webhook mode")
            elif not _https_or_local(zalo_url):
                problems.append(f"{PREFIX}ZALO_WEBHOOK_URL must be an https:// address")
            if not zalo_secret:
                problems.append(f"{PREFIX}ZALO_WEBHOOK_SECRET is required in Zalo webhook mode")
        if zalo_secret and not _ZALO_SECRET.match(zalo_secret):
            problems.append(
                f"{PREFIX}ZALO_WEBHOOK_SECRET must be 8-256 characters of A-Z, a-z, 0-9, _ and -"
            )
        zalo_api = get("ZALO_API_URL").rstrip("/")
        if urlparse(zalo_api).scheme not in ("http", "https"):
            problems.append(f"{PREFIX}ZALO_API_URL must start with http:// or https://")

        settings = cls(
            telegram_token=token,
            database=Path(database),
            model_dir=Path(get("MODEL_DIR") or "models"),
            telegram_mode=mode,
            webhook_url=webhook_url,
            webhook_secret=secret,
            webhook_listen=get("WEBHOOK_LISTEN"),
            webhook_port=integer("WEBHOOK_PORT", 0, 65535),
            telegram_api_url=api_url,
            telegram_transport=transport,
            poll_timeout=integer("POLL_TIMEOUT", 0, 50),
            flood_limit=integer("FLOOD_LIMIT", 1, 1000),
            flood_window=float(integer("FLOOD_WINDOW", 1, 3600)),
            outbox_lease=float(integer("OUTBOX_LEASE", 1, 3600)),
            send_rate=float(integer("SEND_RATE", 1, 1000)),
            chat_send_rate=float(integer("CHAT_SEND_RATE", 1, 1000)),
            schedule_every=float(integer("SCHEDULE_EVERY", 1, 3600)),
            log_level=level,
            zalo_token=zalo_token,
            zalo_mode=zalo_mode,
            zalo_webhook_url=zalo_url,
            zalo_webhook_secret=zalo_secret,
            zalo_webhook_port=integer("ZALO_WEBHOOK_PORT", 0, 65535),
            zalo_api_url=zalo_api,
            zalo_send_rate=float(integer("ZALO_SEND_RATE", 1, 1000)),
            zalo_chat_send_rate=float(integer("ZALO_CHAT_SEND_RATE", 1, 1000)),
            health_port=integer("HEALTH_PORT", 0, 65535) if get("HEALTH_PORT") else None,
            clock_offset=offset(get("CLOCK_OFFSET")),
        )
        if problems:
            raise ConfigError("invalid configuration:\n  - " + "\n  - ".join(problems))
        return settings


def _https_or_local(address: str) -> bool:
    """An https:// address, or http:// on this machine (for trying things out)."""
    url = urlparse(address)
    local = url.hostname in ("localhost", "127.0.0.1", "::1")
    return url.scheme == "https" or (url.scheme == "http" and local)
