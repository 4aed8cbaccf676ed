"""Who may act for a commune: admins register officers, directly or by one-time invitation."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from bot.errors import NotFound, ValidationError
from bot.model import DEFAULT_DEPARTMENTS, DEFAULT_FIELD_DEPARTMENTS, Role, StaffRole
from bot.ports import Tx

_CODE = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def seed_departments(tx: Tx, commune_code: int) -> None:
    """The usual departments and field map, where the commune has none yet."""
    if tx.departments_list(commune_code):
        return
    for code, name in DEFAULT_DEPARTMENTS.items():
        tx.department_put(commune_code, code, name)
    for topic, department in DEFAULT_FIELD_DEPARTMENTS.items():
        tx.field_department_put(commune_code, topic, department)


def _check(tx: Tx, role: StaffRole) -> None:
    if role.role is Role.ADMIN:
        return
    if role.commune_code is None or tx.commune_get(role.commune_code) is None:
        raise ValidationError(f"commune {role.commune_code} is not served by this deployment")
    if role.role is Role.DEPARTMENT:
        codes = {code for code, _ in tx.departments_list(role.commune_code)}
        if role.department not in codes:
            raise ValidationError(f"department must be one of: {', '.join(sorted(codes))}")


def add_officer(
    tx: Tx, channel: str, user_key: str, role: StaffRole, by: str, now: datetime, name: str = ""
) -> bool:
    _check(tx, role)
    return tx.staff_add(channel, user_key, role, by, now, name)


def invite(tx: Tx, role: StaffRole, by: str, now: datetime, days: int = 7) -> str:
    """A one-time code the officer sends to the bot as `/join CODE`."""
    _check(tx, role)
    code = "MT-" + "".join(secrets.choice(_CODE) for _ in range(8))
    tx.invitation_add(code, role, by, now, now + timedelta(days=days))
    return code


def join(tx: Tx, channel: str, user_key: str, code: str, name: str, now: datetime) -> StaffRole:
    role = tx.invitation_use(code.strip().upper(), f"{channel}:{user_key}", now)
    if role is None:
        raise NotFound(code)
    tx.staff_add(channel, user_key, role, f"invitation:{code}", now, name)
    return role
