"""The terminal channel and the `doithoai` command, run as a newcomer would run them."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from datetime import timedelta
from pathlib import Path

from bot.clock import SystemClock, to_local
from storage.sqlite import _migrations
from tests.harness import MODEL_DIR

ROOT = Path(__file__).resolve().parents[1]


def run(args: list[str], tmp_path: Path, stdin: str = "") -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOITHOAI_")}
    env["DOITHOAI_DATABASE"] = str(tmp_path / "demo.sqlite3")
    env["PYTHONPATH"] = str(ROOT)
    env["DOITHOAI_MODEL_DIR"] = str(MODEL_DIR)
    return subprocess.run(
        [sys.executable, "-m", "doithoai", *args], input=stdin, capture_output=True, text=True,
        env=env, cwd=tmp_path, timeout=60,
    )  # fmt: skip


def test_without_a_token_the_bot_runs_in_the_terminal(tmp_path: Path) -> None:
    lines = [
        "/start", "1", "Nguyễn Văn An", "2", "1", "6",
        "Đề nghị sửa đoạn đường liên thôn từ xóm 3 đến xóm 5 bị sụt lún <nặng>",
        "/my",
    ]  # fmt: skip
    result = run([], tmp_path, "\n".join(lines) + "\n")
    assert result.returncode == 0, result.stderr
    assert "No DOITHOAI_TELEGRAM_TOKEN or DOITHOAI_ZALO_TOKEN is set" in result.stderr
    out = result.stdout
    assert "Gõ 1: Tôi đồng ý" in out and "Gõ 2: Không đồng ý" in out
    assert "Cảm ơn Ông/Bà Nguyễn Văn An" in out and "Xóm 2" in out
    assert "Mã ý kiến: YK-" in out
    assert "bị sụt lún <nặng>" in out  # shown as typed, no HTML escapes left over
    assert "Chờ Mặt trận xem xét" in out


def test_office_commands(tmp_path: Path) -> None:
    found = run(["commune", "search", "giao minh"], tmp_path)
    assert "14161\tXã Giao Minh\tNinh Bình" in found.stdout
    added = run(["commune", "add", "14161", "--village", "Xóm 1", "--village", "Xóm 2"], tmp_path)
    assert "serving Xã Giao Minh" in added.stdout and "Xóm 1, Xóm 2" in added.stdout
    bad = run(["commune", "add", "1"], tmp_path)
    assert bad.returncode == 1 and "not a commune" in bad.stderr
    day = (to_local(SystemClock().now()) + timedelta(days=20)).date()  # the CLI's real clock
    planned = run(
        ["session", "create", "--commune", "14161", "--title", "Đối thoại cuối năm",
         "--date", day.isoformat(), "--slot", "afternoon",
         "--place", "Hội trường", "--chair", "Chủ tịch UBND xã"],
        tmp_path,
    )  # fmt: skip
    assert planned.returncode == 0, planned.stderr
    announce = day - timedelta(days=7)
    assert f"session 1 planned; announcement {announce} 14:00" in planned.stdout
    listed = run(["session", "list"], tmp_path)
    cutoff = day - timedelta(days=2)
    assert f"{day} 14:00\tcut-off {cutoff} 11:00\tplanned\tĐối thoại cuối năm" in listed.stdout
    later = day + timedelta(days=7)
    moved = run(["session", "postpone", "1", "--start", f"{later} 08:00"], tmp_path)
    assert moved.returncode == 0, moved.stderr
    assert "nobody told yet" in moved.stdout and "Thời gian" not in moved.stdout
    shown = run(["session", "show", "1"], tmp_path)
    assert f"{later - timedelta(days=7)} 08:00\tannounce\twaiting" in shown.stdout
    assert "terminal\tedited\tstarts_at" in shown.stdout
    early = run(["session", "conclude", "1", "--text", "Kết luận"], tmp_path)
    assert early.returncode == 1 and "chưa diễn ra" in early.stderr
    assert "nobody registered" in run(["session", "speakers", "1"], tmp_path).stdout
    assert "no broadcast yet" in run(["session", "broadcasts", "--commune", "14161"],
                                     tmp_path).stdout  # fmt: skip
    checked = run(["check"], tmp_path)
    assert f"schema version {len(_migrations())}" in checked.stdout
    assert "1 commune(s)" in checked.stdout


def test_bad_configuration_is_explained(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text("DOITHOAI_TELEGRAM_MODE=carrier-pigeon\n")
    result = run(["check"], tmp_path)
    assert result.returncode == 2
    assert "TELEGRAM_MODE must be 'polling' or 'webhook'" in result.stderr


def test_admin_commands(tmp_path: Path) -> None:
    run(["commune", "add", "14161", "--village", "Xóm 1"], tmp_path)
    added = run(["admin", "add-officer", "--telegram-id", "900", "--role", "front",
                 "--commune", "14161", "--name", "Chị Lan"], tmp_path)  # fmt: skip
    assert "added front of commune 14161" in added.stdout
    invited = run(["admin", "invite", "--role", "front", "--commune", "14161"], tmp_path)
    assert invited.stdout.startswith("MT-")
    mapped = run(["admin", "departments", "--commune", "14161", "--add", "dien_luc=Điện lực",
                  "--map", "ha_tang_dien_nuoc=dien_luc"], tmp_path)  # fmt: skip
    assert "dien_luc\tĐiện lực" in mapped.stdout
    assert "ha_tang_dien_nuoc -> dien_luc" in mapped.stdout
    bad = run(["admin", "departments", "--commune", "14161", "--map", "y_te=nowhere"], tmp_path)
    assert bad.returncode == 1 and "--map wants FIELD=CODE" in bad.stderr
    bad = run(["admin", "add-officer", "--telegram-id", "5", "--role", "department",
               "--commune", "14161", "--department", "nope"], tmp_path)  # fmt: skip
    assert bad.returncode == 1 and "department must be one of" in bad.stderr
    assert "telegram:900\tfront of commune 14161" in run(["admin", "list"], tmp_path).stdout
    removed = run(["admin", "remove-officer", "--telegram-id", "900"], tmp_path)
    assert "removed 1 role(s)" in removed.stdout


def test_admin_days_off_and_answer_rules(tmp_path: Path) -> None:
    run(["commune", "add", "14161"], tmp_path)
    off = run(["admin", "day-off", "--date", "2026-12-24", "--name", "Nghỉ bù"], tmp_path)
    assert "24/12/2026 (Nghỉ bù) is a day off everywhere" in off.stdout
    rules = run(["admin", "answers", "--commune", "14161", "--days", "30", "--review", "on"],
                tmp_path)  # fmt: skip
    assert "answers due in 30 working days; review on" in rules.stdout
    bad = run(["admin", "answers", "--commune", "14161", "--days", "0"], tmp_path)
    assert bad.returncode == 1 and "between 1 and 90" in bad.stderr


def test_the_terminal_demo_with_a_fast_clock_shows_the_announcement_arrive(
    tmp_path: Path,
) -> None:
    """A day a second: the demo session 14 days away is announced about 7 seconds in, and
    its announcement is printed in the terminal like any other message of the bot."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DOITHOAI_")}
    env.update(DOITHOAI_DATABASE=str(tmp_path / "demo.sqlite3"), PYTHONPATH=str(ROOT),
               DOITHOAI_MODEL_DIR=str(MODEL_DIR))  # fmt: skip
    proc = subprocess.Popen(
        [sys.executable, "-m", "doithoai", "chat", "--fast-clock", "1"], stdin=subprocess.PIPE,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, cwd=tmp_path,
    )  # fmt: skip
    assert proc.stdin is not None and proc.stdout is not None
    seen: list[str] = []
    guard = threading.Timer(60, proc.kill)  # never wait forever for a line that never comes
    guard.start()
    try:
        proc.stdin.write("\n".join(["/start", "1", "Nguyễn Văn An", "2", "1", "6"]) + "\n")
        proc.stdin.flush()
        for line in proc.stdout:  # the process prints as messages come; read until it came
            seen.append(line)
            if "Kính mời Ông/Bà tham dự" in line:  # the announcement's last words
                break
        rest, err = proc.communicate("/cancel\n", timeout=30)  # then end of input: it exits
    finally:
        guard.cancel()
        proc.kill()
    out = "".join(seen)
    assert "Đồng hồ chạy nhanh: mỗi ngày trôi qua trong 1 giây." in out
    assert "thông báo kỳ đối thoại (trước 7 ngày): sau khoảng 7 giây" in out
    assert out.index("Cảm ơn Ông/Bà Nguyễn Văn An") < out.index("THÔNG BÁO")
    assert "Xã Giao Minh tổ chức hội nghị tiếp xúc, đối thoại" in out
    assert "Không có thao tác nào đang thực hiện" in rest  # still talking after it
    assert proc.returncode == 0, err


def test_a_fast_clock_is_refused_for_real_channels(tmp_path: Path) -> None:
    env_token = {"DOITHOAI_TELEGRAM_TOKEN": "123456:" + "A" * 35}
    result = subprocess.run(
        [sys.executable, "-m", "doithoai", "run", "--fast-clock"], capture_output=True,
        text=True, timeout=60, cwd=tmp_path,
        env={**{k: v for k, v in os.environ.items() if not k.startswith("DOITHOAI_")},
             "DOITHOAI_DATABASE": str(tmp_path / "x.sqlite3"), "PYTHONPATH": str(ROOT),
             **env_token},
    )  # fmt: skip
    assert result.returncode == 1
    assert "--fast-clock is for the terminal demo" in result.stderr
