"""The `doithoai` command: run the bot, try it in the terminal, set up communes and sessions."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from dataclasses import replace
from datetime import date, datetime, time, timedelta

from bot import health, logs, services, sessions, staff
from bot.clock import VN_TZ, FastClock, SystemClock, to_local
from bot.communes import official_communes, search
from bot.config import Settings
from bot.errors import ConfigError, DoiThoaiError, ValidationError
from bot.model import AFTERNOON_START, MORNING_START, DialogueSession, Role, StaffRole
from bot.ports import Tx
from doithoai.app import open_store, run_channels, run_console
from nlp.labels import FIELDS
from nlp.model import Example, Model, training_examples

DEMO_COMMUNE = 14161  # Xã Giao Minh, Ninh Bình (plan 004 in shared/seeds)
DEMO_VILLAGES = [f"Xóm {n}" for n in range(1, 9)]


def _local_time(text: str) -> datetime:
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=VN_TZ)
    except ValueError as err:
        raise argparse.ArgumentTypeError(f"{text!r}: expected 'YYYY-MM-DD HH:MM'") from err


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="doithoai",
        description="Đối thoại: opinions of residents for commune dialogue meetings.",
    )
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="run the bot (Telegram with a token, else the terminal demo)")
    chat = sub.add_parser("chat", help="talk to the bot in this terminal as a resident")
    chat.add_argument("--user", default="local", help="who you are (several residents)")
    for demo in (run, chat):
        demo.add_argument("--fast-clock", type=float, nargs="?", const=10.0, default=None,
                          metavar="SECONDS", help="terminal demo only: one day passes in SECONDS"
                          " (10 if not given), so announcements and reminders arrive while"
                          " you watch")  # fmt: skip
    sub.add_parser("demo", help="add a demo commune (Giao Minh) with villages and a session")
    sub.add_parser("check", help="check the configuration and the database")
    sub.add_parser("health", help="is the running bot well? JSON; exit 0 if so, 1 if not")
    sub.add_parser("retrain", help="retrain the screener with the officers' corrections")

    commune = sub.add_parser("commune", help="communes this deployment serves").add_subparsers(
        dest="action", required=True
    )
    add = commune.add_parser("add", help="serve a commune (code from the official list)")
    add.add_argument("code", type=int)
    add.add_argument("--village", action="append", default=[], help="a village/group; repeat")
    add.add_argument(
        "--reception",
        help="where complaints and denunciations are received (told to residents), e.g."
        " 'Bộ phận tiếp công dân UBND xã, sáng thứ Năm hằng tuần'",
    )
    find = commune.add_parser("search", help="find a commune's code in the official list")
    find.add_argument("name")
    commune.add_parser("list", help="communes served, with their villages")

    admin = sub.add_parser("admin", help="officers and their roles").add_subparsers(
        dest="action", required=True
    )
    roles = [r.value for r in Role if r is not Role.ADMIN]
    add_officer = admin.add_parser("add-officer", help="give a Telegram user a role")
    add_officer.add_argument("--telegram-id", required=True, help="numeric Telegram user id")
    add_officer.add_argument("--role", choices=[*roles, "admin"], required=True)
    add_officer.add_argument("--commune", type=int, help="commune code (not for admin)")
    add_officer.add_argument("--department", help="department code (role department)")
    add_officer.add_argument("--name", default="", help="shown in the history of opinions")
    invite = admin.add_parser("invite", help="a one-time code the officer sends as /join CODE")
    invite.add_argument("--role", choices=roles, required=True)
    invite.add_argument("--commune", type=int, required=True)
    invite.add_argument("--department")
    invite.add_argument("--days", type=int, default=7)
    remove = admin.add_parser("remove-officer", help="take roles away")
    remove.add_argument("--telegram-id", required=True)
    remove.add_argument("--commune", type=int, help="only the roles in this commune")
    admin.add_parser("list", help="who holds which role")
    departments = admin.add_parser("departments", help="departments and the field map")
    departments.add_argument("--commune", type=int, required=True)
    departments.add_argument(
        "--add",
        action="append",
        default=[],
        metavar="CODE=NAME",
        help="add or rename a department; repeat",
    )
    departments.add_argument("--map", action="append", default=[], metavar="FIELD=CODE",
                             help="which department answers a field; repeat")  # fmt: skip
    day_off = admin.add_parser("day-off", help="a day off beyond weekends and holidays")
    day_off.add_argument("--date", type=date.fromisoformat, required=True, help="YYYY-MM-DD")
    day_off.add_argument("--name", required=True)
    day_off.add_argument("--commune", type=int, default=0, help="default: every commune")
    answer_rules = admin.add_parser("answers", help="answer deadline and review of a commune")
    answer_rules.add_argument("--commune", type=int, required=True)
    answer_rules.add_argument("--days", type=int, help="working days to answer (default 15)")
    answer_rules.add_argument("--review", choices=["on", "off"],
                              help="the Front / the chair approves answers first")  # fmt: skip
    front_chat = admin.add_parser("front-chat", help="the Front's Telegram group for cards")
    front_chat.add_argument("--commune", type=int, required=True)
    front_chat.add_argument("--telegram-chat", required=True, help="group chat id; '' = private")
    quarantine = admin.add_parser("quarantine", help="updates that could not be parsed")
    quarantine.add_argument("--limit", type=int, default=20)
    quarantine.add_argument("--full", action="store_true", help="print each raw update whole")

    session = sub.add_parser("session", help="dialogue sessions").add_subparsers(
        dest="action", required=True
    )
    create = session.add_parser(
        "create", help="plan a dialogue session (announced automatically, 7 days before)"
    )
    create.add_argument("--commune", type=int, required=True)
    create.add_argument("--title", required=True)
    create.add_argument("--start", type=_local_time, help="'YYYY-MM-DD HH:MM'")
    create.add_argument("--date", type=date.fromisoformat, help="YYYY-MM-DD, with --slot")
    create.add_argument("--slot", choices=["morning", "afternoon"], default="morning",
                        help="half-day slot: morning 08:00, afternoon 14:00")  # fmt: skip
    create.add_argument("--cutoff", type=_local_time,
                        help="'YYYY-MM-DD HH:MM' (default 11:00 two days before)")  # fmt: skip
    create.add_argument("--place", required=True)
    create.add_argument("--chair", required=True)
    create.add_argument("--fields", default="")
    create.add_argument("--lead-days", type=int, default=7, help="announce this many days before")
    listing = session.add_parser("list", help="sessions, oldest first, with their state")
    listing.add_argument("--commune", type=int)
    edit = session.add_parser("edit", help="change a session; residents told are told again")
    edit.add_argument("id", type=int)
    for name in ("title", "place", "chair", "fields"):
        edit.add_argument(f"--{name}")
    edit.add_argument("--cutoff", type=_local_time, help="'YYYY-MM-DD HH:MM'")
    edit.add_argument("--lead-days", type=int)
    postpone = session.add_parser("postpone", help="move a session (the cut-off moves with it)")
    postpone.add_argument("id", type=int)
    postpone.add_argument("--start", type=_local_time, required=True, help="'YYYY-MM-DD HH:MM'")
    postpone.add_argument("--cutoff", type=_local_time, help="'YYYY-MM-DD HH:MM'")
    conclude = session.add_parser("conclude", help="publish the conclusion notice to everyone")
    conclude.add_argument("id", type=int)
    text = conclude.add_mutually_exclusive_group(required=True)
    text.add_argument("--text")
    text.add_argument("--file", type=argparse.FileType(encoding="utf-8"))
    speakers = session.add_parser("speakers", help="who registered to speak, in order")
    speakers.add_argument("id", type=int)
    shown = session.add_parser("show", help="a session, its jobs and its history")
    shown.add_argument("id", type=int)
    broadcasts = session.add_parser("broadcasts", help="progress of the announcements sent")
    broadcasts.add_argument("--commune", type=int, required=True)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        settings = Settings.from_env()
    except ConfigError as err:
        print(f"doithoai: {err}", file=sys.stderr)
        return 2
    logs.setup(settings.log_level)
    try:
        return asyncio.run(_dispatch(args, settings))
    except DoiThoaiError as err:
        print(f"doithoai: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


async def _dispatch(args: argparse.Namespace, settings: Settings) -> int:
    command = args.command or "run"
    fast = getattr(args, "fast_clock", None)
    if fast is not None and not 0.5 <= fast <= 86400:
        raise ConfigError("--fast-clock: a day must last between 0.5 and 86400 seconds")
    clock = FastClock(fast) if fast is not None else None
    if command == "run":
        if settings.telegram_token or settings.zalo_token:
            if clock is not None:
                raise ConfigError("--fast-clock is for the terminal demo, not for real channels")
            await run_channels(settings)
            return 0
        print(
            "No DOITHOAI_TELEGRAM_TOKEN or DOITHOAI_ZALO_TOKEN is set, so the bot runs here in"
            " the terminal.\nTo run it on Telegram or Zalo, create a bot and set its token"
            " (see README.md).\n",
            file=sys.stderr,
        )
        await _seed_demo_if_empty(settings)
        await run_console(settings, clock=clock)
        return 0
    if command == "chat":
        await _seed_demo_if_empty(settings)
        await run_console(settings, user=args.user, clock=clock)
        return 0
    if command == "demo":
        await _seed_demo(settings)
        return 0
    if command == "check":
        async with open_store(settings) as store:
            version = await store.schema_version()
            served = await store.run(lambda tx: tx.communes_list())
        modes = [f"telegram ({settings.telegram_mode})"] if settings.telegram_token else []
        modes += [f"zalo ({settings.zalo_mode})"] if settings.zalo_token else []
        mode = " + ".join(modes) or "terminal"
        print(
            f"configuration ok; database {settings.database} at schema version {version};"
            f" {len(served)} commune(s) served; mode: {mode}"
        )
        return 0
    if command == "health":
        channels = [c for c, on in (("telegram", settings.telegram_token),
                                    ("zalo", settings.zalo_token)) if on]  # fmt: skip
        async with open_store(settings) as store:
            report = await health.report(store, SystemClock().now(), channels)
        print(json.dumps(report, ensure_ascii=False, indent=2))
        return 0 if report["ok"] else 1
    if command == "retrain":
        async with open_store(settings) as store:
            rows = await store.run(lambda tx: tx.feedback_all())
        feedback = [Example(text, topic, kind) for text, topic, kind in rows]
        model = await asyncio.to_thread(lambda: Model.train(training_examples(feedback)))
        model.save(settings.model_dir)
        print(f"model {model.fingerprint} ({len(feedback)} corrections) saved in "
              f"{settings.model_dir}")  # fmt: skip
        return 0
    if command == "admin" and args.action == "quarantine":
        async with open_store(settings) as store:
            kept = await store.inbox_quarantined(args.limit)
        for q in kept:
            raw = q.payload if args.full else q.payload[:200]
            print(f"#{q.id} {q.channel} {q.event_key} {to_local(q.received_at):%d/%m/%Y %H:%M}"
                  f"\n  reason: {q.reason}\n  update: {raw}")  # fmt: skip
        print(f"{len(kept)} quarantined update(s) shown")
        return 0
    if command == "commune":
        return await _commune(args, settings)
    if command == "session":
        return await _session(args, settings)
    if command == "admin":
        return await _admin(args, settings)
    raise AssertionError(command)


async def _commune(args: argparse.Namespace, settings: Settings) -> int:
    if args.action == "search":
        for c in search(args.name, list(official_communes().values()), limit=20):
            print(f"{c.code}\t{c.name}\t{c.province}")
        return 0

    def work(tx: Tx) -> list[str]:
        lines = []
        if args.action == "add":
            commune = services.add_commune(tx, args.code, args.village, now, args.reception)
            lines.append(f"serving {commune.name} ({commune.province}), code {commune.code}")
        for commune in tx.communes_list():
            names = ", ".join(v.name for v in tx.villages_list(commune.code))
            lines.append(f"{commune.code}\t{commune.name}\t{commune.province}\t"
                         f"{names or '(no villages configured)'}")  # fmt: skip
        return lines

    now = SystemClock().now()
    async with open_store(settings) as store:
        print("\n".join(await store.run(work)))
    return 0


async def _admin(args: argparse.Namespace, settings: Settings) -> int:
    now = SystemClock().now()
    by = "cli"

    def work(tx: Tx) -> list[str]:
        if args.action == "add-officer":
            role = StaffRole(Role(args.role), None if args.role == "admin" else args.commune,
                             args.department)  # fmt: skip
            if role.role is not Role.ADMIN and role.commune_code is None:
                raise ValidationError("--commune is required for this role")
            added = staff.add_officer(tx, "telegram", args.telegram_id, role, by, now, args.name)
            return [("added " if added else "already had ") + _role_text(role)]
        if args.action == "invite":
            role = StaffRole(Role(args.role), args.commune, args.department)
            code = staff.invite(tx, role, by, now, args.days)
            return [f"{code}  (send /join {code} to the bot; valid {args.days} days;"
                    f" {_role_text(role)})"]  # fmt: skip
        if args.action == "remove-officer":
            n = tx.staff_remove("telegram", args.telegram_id, args.commune)
            return [f"removed {n} role(s)"]
        if args.action == "departments":
            if tx.commune_get(args.commune) is None:
                raise ValidationError(f"commune {args.commune} is not served")
            staff.seed_departments(tx, args.commune)
            for item in args.add:
                code, _, name = item.partition("=")
                if not code.strip() or not name.strip():
                    raise ValidationError(f"--add wants CODE=NAME, not {item!r}")
                tx.department_put(args.commune, code.strip(), name.strip())
            known = {code for code, _ in tx.departments_list(args.commune)}
            for item in args.map:
                field, _, code = item.partition("=")
                if field not in FIELDS or code not in known:
                    raise ValidationError(f"--map wants FIELD=CODE with a known field and code,"
                                          f" not {item!r}")  # fmt: skip
                tx.field_department_put(args.commune, field, code)
            lines = [f"{code}\t{name}" for code, name in tx.departments_list(args.commune)]
            lines += [f"{topic} -> {tx.field_department(args.commune, topic)}"
                      for topic in FIELDS]  # fmt: skip
            return lines
        if args.action == "day-off":
            tx.day_off_add(args.commune, args.date, args.name)
            return [
                f"{args.date:%d/%m/%Y} ({args.name}) is a day off"
                + (f" in commune {args.commune}" if args.commune else " everywhere")
            ]
        if args.action == "answers":
            commune = tx.commune_get(args.commune)
            if commune is None:
                raise ValidationError(f"commune {args.commune} is not served")
            if args.days is not None and not 1 <= args.days <= 90:
                raise ValidationError("--days must be between 1 and 90")
            commune = replace(
                commune,
                answer_days=args.days or commune.answer_days,
                answer_review=commune.answer_review if args.review is None else args.review == "on",
            )
            tx.commune_put(commune, now)
            return [f"{commune.name}: answers due in {commune.answer_days} working days;"
                    f" review {'on' if commune.answer_review else 'off'}"]  # fmt: skip
        if args.action == "front-chat":
            commune = tx.commune_get(args.commune)
            if commune is None:
                raise ValidationError(f"commune {args.commune} is not served")
            chat = f"telegram:{args.telegram_chat}" if args.telegram_chat else ""
            tx.commune_put(replace(commune, front_chat=chat), now)
            return [f"cards of {commune.name} go to {chat or 'each Front officer privately'}"]
        return [f"{channel}:{key}\t{_role_text(role)}" for channel, key, role in tx.staff_all()]

    try:
        async with open_store(settings) as store:
            print("\n".join(await store.run(work)) or "(nobody)")
    except ValidationError as err:
        raise DoiThoaiError(str(err)) from err
    return 0


def _role_text(role: StaffRole) -> str:
    where = f" of commune {role.commune_code}" if role.commune_code else ""
    return f"{role.role.value}{where}" + (
        f", department {role.department}" if role.department else ""
    )


async def _session(args: argparse.Namespace, settings: Settings) -> int:
    now = SystemClock().now()
    actor = "terminal"
    action = args.action

    def work(tx: Tx) -> list[str]:
        if action == "create":
            return _session_create(tx, args, now)
        if action == "list":
            return [
                f"{s.id}\t{s.commune_code}\t{to_local(s.starts_at):%Y-%m-%d %H:%M}"
                f"\tcut-off {to_local(s.cutoff_at):%Y-%m-%d %H:%M}\t{s.state.value}\t{s.title}"
                for s in tx.sessions_list(args.commune)
            ]
        if action in ("edit", "postpone"):
            changes = {k: getattr(args, k, None) for k in ("title", "place", "chair", "fields")}
            session, changed, queued = sessions.edit(
                tx, actor, args.id, now, starts_at=getattr(args, "start", None),
                cutoff_at=args.cutoff, lead_days=getattr(args, "lead_days", None), **changes,
            )  # fmt: skip
            lines = [f"{c.field}: {c.old} -> {c.new}" for c in changed] or ["nothing changed"]
            told = f"change notice queued for {queued} residents" if queued else "nobody told yet"
            return [*lines, f"session {session.id}: {session.state.value}; {told}"]
        if action == "conclude":
            text = args.text if args.text is not None else args.file.read()
            queued = sessions.conclude(tx, actor, args.id, text, now)
            return [f"conclusion notice queued for {queued} residents"]
        if action == "speakers":
            return [
                f"{n}\t{sp.full_name}\t{sp.village_name}\t{sp.ref_code}\t{sp.topic or ''}"
                f"\t{' '.join(sp.text.split())[:80]}"
                for n, sp in enumerate(tx.speakers_list(args.id), start=1)
            ] or ["nobody registered to speak"]
        if action == "broadcasts":
            return [
                f"{b.id}\tsession {b.session_id}\t{b.kind}\t{to_local(b.created_at):%Y-%m-%d %H:%M}"
                f"\tsent {b.sent}/{b.recipients}\twaiting {b.waiting}\tfailed {b.failed}"
                for b in tx.broadcasts_progress(args.commune, 50)
            ] or ["no broadcast yet"]
        return _session_show(tx, args.id)

    async with open_store(settings) as store:
        print("\n".join(await store.run(work)))
    return 0


def _session_create(tx: Tx, args: argparse.Namespace, now: datetime) -> list[str]:
    if args.start is None and args.date is None:
        raise ValidationError("give --start 'YYYY-MM-DD HH:MM', or --date and --slot")
    slot = MORNING_START if args.slot == "morning" else AFTERNOON_START
    start = args.start or datetime.combine(args.date, slot, tzinfo=VN_TZ)
    cutoff = args.cutoff or datetime.combine(
        start.date() - timedelta(days=2), time(11, 0), tzinfo=VN_TZ
    )
    session = DialogueSession(None, args.commune, args.title, start, args.place, args.chair,
                              cutoff, args.fields, lead_days=args.lead_days)  # fmt: skip
    queued = sessions.plan(tx, session, now, "terminal")
    when = (
        "now"
        if queued or session.announce_at <= now
        else f"{to_local(session.announce_at):%Y-%m-%d %H:%M}"
    )
    return [f"session {session.id} planned; announcement {when}"
            + (f" ({queued} residents)" if queued else "")]  # fmt: skip


def _session_show(tx: Tx, session_id: int) -> list[str]:
    session = tx.session_get(session_id)
    if session is None:
        raise ValidationError(f"no session {session_id}")
    done = tx.session_jobs_done(session_id)
    lines = [
        f"{session.id}\t{session.title}\t{session.state.value}",
        f"starts {to_local(session.starts_at):%Y-%m-%d %H:%M}, cut-off "
        f"{to_local(session.cutoff_at):%Y-%m-%d %H:%M}, announced {session.lead_days} days before",
        "jobs:",
    ]
    for job in sessions.jobs_of(session):
        fired = done.get((job.kind, job.edition))
        status = f"fired {to_local(fired):%Y-%m-%d %H:%M}" if fired else "waiting"
        lines.append(f"  {to_local(job.due_at):%Y-%m-%d %H:%M}\t{job.kind}\t{status}")
    lines.append("history:")
    for actor, what, detail, at in tx.session_events(session_id):
        lines.append(f"  {to_local(at):%Y-%m-%d %H:%M}\t{actor}\t{what}\t{detail}")
    return lines


async def _seed_demo_if_empty(settings: Settings) -> None:
    async with open_store(settings) as store:
        if await store.run(lambda tx: tx.communes_list()):
            return
    print("The database has no commune yet: adding the demo commune (Xã Giao Minh).",
          file=sys.stderr)  # fmt: skip
    await _seed_demo(settings)


async def _seed_demo(settings: Settings) -> None:
    now = SystemClock().now()
    day = (to_local(now) + timedelta(days=14)).date()

    def work(tx: Tx) -> None:
        commune = services.add_commune(tx, DEMO_COMMUNE, DEMO_VILLAGES, now)
        if tx.session_open(commune.code, now) is None:
            services.plan_session(
                tx,
                DialogueSession(
                    id=None,
                    commune_code=commune.code,
                    title="Hội nghị đối thoại giữa người đứng đầu cấp ủy, chính quyền với Nhân dân",
                    starts_at=datetime.combine(day, time(8, 0), tzinfo=VN_TZ),
                    place="Hội trường Trụ sở Đảng ủy xã Giao Minh",
                    chair="Đồng chí Bí thư Đảng ủy, Chủ tịch HĐND xã; Đồng chí Phó Bí thư"
                    " Đảng ủy, Chủ tịch UBND xã",
                    cutoff_at=datetime.combine(day - timedelta(days=2), time(11, 0), tzinfo=VN_TZ),
                    fields="Đất đai, môi trường, giao thông, chính sách xã hội",
                ),
                now,
            )

    async with open_store(settings) as store:
        await store.run(work)
    print(f"demo commune Xã Giao Minh ready, with a session on {day:%d/%m/%Y}", file=sys.stderr)
