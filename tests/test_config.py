from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import Settings
from bot.errors import ConfigError

TOKEN = "123456:ABCdefGHIjklMNOpqrSTUvwx"


def test_defaults_need_nothing() -> None:
    s = Settings.parse({})
    assert s.telegram_token is None
    assert s.telegram_mode == "polling" and s.telegram_transport == "aiohttp"
    assert s.database == Path("doithoai.sqlite3")


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(ConfigError) as err:
        Settings.parse({
            "DOITHOAI_TELEGRAM_TOKEN": "not-a-token",
            "DOITHOAI_TELEGRAM_MODE": "webhook",
            "DOITHOAI_WEBHOOK_URL": "http://bot.example.vn/hook",
            "DOITHOAI_WEBHOOK_SECRET": "short",
            "DOITHOAI_POLL_TIMEOUT": "soon",
            "DOITHOAI_TELEGRAM_TRANSPORT": "curl",
        })  # fmt: skip
    message = str(err.value)
    for fragment in ("TELEGRAM_TOKEN", "https://", "WEBHOOK_SECRET", "POLL_TIMEOUT", "TRANSPORT"):
        assert fragment in message


def test_webhook_mode_needs_url_and_secret() -> None:
    with pytest.raises(ConfigError, match="WEBHOOK_URL is required"):
        Settings.parse({"DOITHOAI_TELEGRAM_TOKEN": TOKEN, "DOITHOAI_TELEGRAM_MODE": "webhook"})


def test_env_file_and_environment(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"DOITHOAI_TELEGRAM_TOKEN={TOKEN}\nDOITHOAI_DATABASE=from-file.db\n")
    s = Settings.from_env({"DOITHOAI_DATABASE": "from-env.db"}, env_file)
    assert s.telegram_token == TOKEN
    assert s.database == Path("from-env.db")  # the real environment wins
    assert Settings.from_env({"TELEGRAM_BOT_TOKEN": TOKEN}, None).telegram_token == TOKEN


def test_readme_documents_every_variable() -> None:
    from bot.config import VARIABLES

    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")
    for name, _, _ in VARIABLES:
        assert f"`DOITHOAI_{name}`" in readme, name


async def test_clock_offset_moves_the_clock(tmp_path: Path) -> None:
    from datetime import UTC, datetime, timedelta

    from doithoai.app import runtime

    assert Settings.parse({"DOITHOAI_CLOCK_OFFSET": "7d"}).clock_offset == timedelta(days=7)
    assert Settings.parse({"DOITHOAI_CLOCK_OFFSET": "-36h"}).clock_offset == timedelta(hours=-36)
    assert Settings.parse({}).clock_offset == timedelta(0)
    with pytest.raises(ConfigError, match="CLOCK_OFFSET"):
        Settings.parse({"DOITHOAI_CLOCK_OFFSET": "next week"})
    from tests.harness import MODEL_DIR

    settings = Settings.parse({"DOITHOAI_CLOCK_OFFSET": "7d", "DOITHOAI_MODEL_DIR": str(MODEL_DIR),
                               "DOITHOAI_DATABASE": str(tmp_path / "db.sqlite3")})  # fmt: skip
    async with runtime(settings) as rt:
        ahead = rt.clock.now() - datetime.now(UTC)
    assert timedelta(days=7) - timedelta(seconds=5) < ahead <= timedelta(days=7)
