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
