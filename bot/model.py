"""The domain model: plain dataclasses with their own rules and no I/O."""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from bot.errors import CutoffPassed, InvalidTransition, ValidationError


class OpinionState(StrEnum):
    RECEIVED = "received"  # stored, not yet screened
    SCREENED = "screened"  # the NLP screening has tagged it
    PENDING_REVIEW = "pending_review"  # waiting for a Fatherland Front officer
    APPROVED = "approved"  # on the agenda of its session
    DIVERTED = "diverted"  # complaint / denunciation: to the citizen-reception process
    REJECTED = "rejected"  # spam, abuse, off-topic (with a reason the resident receives)
    MERGED = "merged"  # duplicate of another opinion; follows that opinion's answer
    ASSIGNED = "assigned"  # a department must answer it
    ANSWERED = "answered"  # the department has answered
    DELIVERED = "delivered"  # the answer reached the resident
    CLOSED = "closed"  # the resident is satisfied, or the follow-up is over
    WITHDRAWN = "withdrawn"  # the resident took it back before the cut-off


S = OpinionState

# Every legal move. Officer overrides (re-opening a diverted or rejected item) are moves too,
# so that nothing is dropped and every change is in the opinion's history.
TRANSITIONS: dict[OpinionState, frozenset[OpinionState]] = {
    S.RECEIVED: frozenset({S.SCREENED, S.WITHDRAWN}),
    S.SCREENED: frozenset({S.PENDING_REVIEW, S.DIVERTED, S.REJECTED, S.WITHDRAWN}),
    # CLOSED: a resident who reopened it says "satisfied" after all (within the rating window).
    S.PENDING_REVIEW: frozenset(
        {S.APPROVED, S.DIVERTED, S.REJECTED, S.MERGED, S.WITHDRAWN, S.CLOSED}
    ),
    S.APPROVED: frozenset({S.ASSIGNED, S.PENDING_REVIEW}),
    S.DIVERTED: frozenset({S.PENDING_REVIEW}),
    S.REJECTED: frozenset({S.PENDING_REVIEW}),
    S.MERGED: frozenset({S.PENDING_REVIEW, S.DELIVERED, S.ANSWERED}),
    S.ASSIGNED: frozenset({S.ANSWERED, S.ASSIGNED, S.APPROVED}),
    S.ANSWERED: frozenset({S.DELIVERED}),
    S.DELIVERED: frozenset({S.CLOSED, S.PENDING_REVIEW}),
    S.CLOSED: frozenset({S.PENDING_REVIEW}),
    S.WITHDRAWN: frozenset(),
}

# States in which the resident may still edit or withdraw (before the cut-off).
RESIDENT_EDITABLE = frozenset({S.RECEIVED, S.SCREENED, S.PENDING_REVIEW})


def can_transition(current: OpinionState, target: OpinionState) -> bool:
    return target in TRANSITIONS[current]


class Role(StrEnum):
    ADMIN = "admin"  # the deployment: adds communes and officers
    FRONT = "front"  # Fatherland Front officer of a commune: the moderation queue
    DEPARTMENT = "department"  # answers what is assigned to their department
    OFFICE = "office"  # the office / the chair: reports, sessions


ROLE_NAMES: dict[Role, str] = {
    Role.ADMIN: "Quản trị hệ thống",
    Role.FRONT: "Cán bộ Mặt trận",
    Role.DEPARTMENT: "Cán bộ chuyên môn",
    Role.OFFICE: "Văn phòng / Chủ trì",
}


@dataclass(frozen=True)
class StaffRole:
    role: Role
    commune_code: int | None  # None for the deployment's admins
    department: str | None = None


# Departments every commune starts with, and the field each answers by default (plans 000-004).
DEFAULT_DEPARTMENTS: dict[str, str] = {
    "dia_chinh": "Địa chính – Xây dựng – Môi trường",
    "cong_an": "Công an xã",
    "quan_su": "Ban Chỉ huy Quân sự",
    "tai_chinh": "Tài chính – Kế toán",
    "ldtbxh": "Lao động – Thương binh và Xã hội",
    "tu_phap": "Tư pháp – Hộ tịch",
    "vhxh": "Văn hóa – Xã hội",
    "tram_y_te": "Trạm Y tế",
    "truong_hoc": "Các trường học",
    "kinh_te": "Phòng Kinh tế",
    "phvhcc": "Trung tâm Phục vụ hành chính công",
    "xay_dung_dang": "Ban Xây dựng Đảng",
    "van_phong": "Văn phòng",
}
DEFAULT_FIELD_DEPARTMENTS: dict[str, str] = {
    "dat_dai": "dia_chinh", "moi_truong": "dia_chinh", "giao_thong": "kinh_te",
    "y_te": "tram_y_te", "giao_duc": "truong_hoc", "an_ninh_trat_tu": "cong_an",
    "quoc_phong": "quan_su", "chinh_sach_xa_hoi": "ldtbxh", "nong_nghiep": "kinh_te",
    "ha_tang_dien_nuoc": "kinh_te", "hanh_chinh": "phvhcc", "kinh_te_tai_chinh": "tai_chinh",
    "van_hoa_the_thao": "vhxh", "xay_dung_dang": "xay_dung_dang", "khac": "van_phong",
}  # fmt: skip


class AnswerMode(StrEnum):
    MEETING = "meeting"  # answered at the meeting
    WRITTEN = "written"  # answered in writing
    IN_PROGRESS = "in_progress"  # being handled, with an expected date
    FORWARDED = "forwarded"  # beyond the commune's authority: a higher body handles it


ANSWER_MODE_NAMES: dict[AnswerMode, str] = {
    AnswerMode.MEETING: "Đã trả lời tại hội nghị",
    AnswerMode.WRITTEN: "Trả lời bằng văn bản",
    AnswerMode.IN_PROGRESS: "Đang giải quyết",
    AnswerMode.FORWARDED: "Vượt thẩm quyền, chuyển cấp trên",
}


@dataclass
class Answer:
    id: int | None
    opinion_id: int
    department: str | None
    officer: str
    mode: AnswerMode
    text: str
    status: str  # pending_review | published | returned
    created_at: datetime
    expected_on: date | None = None
    forwarded_to: str | None = None
    attachments: tuple[str, ...] = ()

    @property
    def final(self) -> bool:
        """An answer that ends the department's work. "In progress" is only news, and a
        forwarded matter stays open until the higher body's date: the Front follows it up."""
        return self.mode not in (AnswerMode.IN_PROGRESS, AnswerMode.FORWARDED)


class Organisation(StrEnum):
    """Mass organisations a resident may say they belong to (optional)."""

    CUU_CHIEN_BINH = "cuu_chien_binh"
    PHU_NU = "phu_nu"
    NONG_DAN = "nong_dan"
    THANH_NIEN = "thanh_nien"
    NGUOI_CAO_TUOI = "nguoi_cao_tuoi"
    NONE = "none"


ORGANISATION_NAMES: dict[Organisation, str] = {
    Organisation.CUU_CHIEN_BINH: "Hội Cựu chiến binh",
    Organisation.PHU_NU: "Hội Liên hiệp Phụ nữ",
    Organisation.NONG_DAN: "Hội Nông dân",
    Organisation.THANH_NIEN: "Đoàn Thanh niên",
    Organisation.NGUOI_CAO_TUOI: "Hội Người cao tuổi",
    Organisation.NONE: "Không tham gia tổ chức nào",
}


@dataclass(frozen=True)
class Commune:
    """A commune or ward this deployment serves (code from the official list)."""

    code: int
    name: str
    province: str
    reception: str = ""  # where complaints and denunciations are received (tiếp công dân)
    front_chat: str = ""  # "telegram:<chat id>" of the Front's group; empty: private chats
    answer_days: int = 15  # working days departments have to answer, after the session
    answer_review: bool = False  # the Front / the chair approves answers before they go out


@dataclass(frozen=True)
class Village:
    """A village or residential group (thôn, xóm, tổ dân phố) of a commune."""

    id: int
    commune_code: int
    name: str


@dataclass
class Resident:
    id: int | None
    commune_code: int
    village_id: int | None
    village_name: str
    full_name: str
    phone: str | None
    organisation: Organisation
    consent_at: datetime
    created_at: datetime
    erased_at: datetime | None = None
    consent_how: str = "button"  # or "typed": the resident wrote their consent

    def erase(self, now: datetime) -> None:
        """Personal data is wiped; the row stays so the opinions keep a (nameless) author."""
        self.full_name = ""
        self.phone = None
        self.organisation = Organisation.NONE
        self.village_id = None
        self.village_name = ""
        self.erased_at = now


class SessionState(StrEnum):
    """Where a dialogue session is in its life; the scheduler moves it, the office ends it."""

    PLANNED = "planned"  # created; residents may already send opinions for it
    ANNOUNCED = "announced"  # the announcement is going out to every resident
    COLLECTING = "collecting"  # everyone has been told; opinions gathered until the cut-off
    CLOSED = "closed"  # past the cut-off: new opinions go to the next session
    HELD = "held"  # the meeting has started / taken place
    CONCLUDED = "concluded"  # the conclusion notice is published


_SS = SessionState
SESSION_TRANSITIONS: dict[SessionState, frozenset[SessionState]] = {
    _SS.PLANNED: frozenset({_SS.ANNOUNCED, _SS.CLOSED, _SS.HELD}),
    _SS.ANNOUNCED: frozenset({_SS.COLLECTING, _SS.CLOSED, _SS.HELD}),
    _SS.COLLECTING: frozenset({_SS.CLOSED, _SS.HELD}),
    # A postponement with a later cut-off reopens intake.
    _SS.CLOSED: frozenset({_SS.HELD, _SS.COLLECTING, _SS.PLANNED}),
    _SS.HELD: frozenset({_SS.CONCLUDED}),
    _SS.CONCLUDED: frozenset(),
}
MORNING_START = time(8, 0)  # the half-day slots, as the plans write them
AFTERNOON_START = time(14, 0)


@dataclass
class DialogueSession:
    """One dialogue meeting (kỳ tiếp xúc, đối thoại) of a commune."""

    id: int | None
    commune_code: int
    title: str
    starts_at: datetime
    place: str
    chair: str
    cutoff_at: datetime
    fields: str = ""
    lead_days: int = 7  # the announcement goes out this many days before the session
    state: SessionState = SessionState.PLANNED
    revision: int = 0  # bumped by every edit; change notices are keyed by it
    conclusion: str = ""
    concluded_at: datetime | None = None

    def accepts_opinions(self, now: datetime) -> bool:
        return now < self.cutoff_at

    @property
    def announce_at(self) -> datetime:
        return self.starts_at - timedelta(days=self.lead_days)

    def check(self) -> None:
        """The rules every version of a session must satisfy."""
        if self.cutoff_at >= self.starts_at:
            raise ValidationError("Hạn chót gửi ý kiến phải trước giờ bắt đầu hội nghị.")
        if not 1 <= self.lead_days <= 60:
            raise ValidationError("Số ngày thông báo trước phải từ 1 đến 60.")
        for value in (self.title, self.place, self.chair):
            if not value.strip():
                raise ValidationError(
                    "Tên hội nghị, địa điểm và người chủ trì không được để trống."
                )

    def move_to(self, target: SessionState) -> SessionState:
        if target not in SESSION_TRANSITIONS[self.state]:
            raise InvalidTransition(self.state.value, target.value)
        previous, self.state = self.state, target
        return previous

    def reschedule(
        self, starts_at: datetime, cutoff_at: datetime, now: datetime, was_announced: bool
    ) -> None:
        """Move the date (postponement): only before the meeting; a later cut-off reopens
        intake, so opinions keep coming to this session."""
        if self.state in (SessionState.HELD, SessionState.CONCLUDED):
            raise ValidationError("Hội nghị đã diễn ra, không thể đổi lịch.")
        if starts_at <= now:
            raise ValidationError("Thời gian mới của hội nghị phải ở tương lai.")
        self.starts_at, self.cutoff_at = starts_at, cutoff_at
        self.check()
        if self.state is SessionState.CLOSED and cutoff_at > now:
            self.state = SessionState.COLLECTING if was_announced else SessionState.PLANNED


@dataclass
class Opinion:
    id: int | None
    ref_code: str
    resident_id: int
    commune_code: int
    session_id: int | None
    text: str
    photo_ref: str | None
    channel: str
    state: OpinionState
    created_at: datetime
    updated_at: datetime
    topic: str | None = None
    kind: str | None = None
    confidence: float | None = None
    reasons: list[str] = field(default_factory=list)
    version: int = 0  # bumped by every officer action: a stale card cannot act
    department: str | None = None
    merged_into: int | None = None
    due_on: date | None = None  # the department's deadline (working days)

    def transition(self, target: OpinionState, now: datetime) -> OpinionState:
        """Move to `target` or raise InvalidTransition; returns the state it left."""
        if not can_transition(self.state, target):
            raise InvalidTransition(self.state.value, target.value)
        previous = self.state
        self.state = target
        self.updated_at = now
        return previous

    def check_resident_may_change(self, session: DialogueSession | None, now: datetime) -> None:
        """A resident edits or withdraws only before the cut-off and before review ends."""
        if self.state not in RESIDENT_EDITABLE:
            raise InvalidTransition(self.state.value, "edit")
        if session is not None and not session.accepts_opinions(now):
            raise CutoffPassed(self.ref_code)

    def revise(self, text: str, session: DialogueSession | None, now: datetime) -> str:
        """Replace the text (the caller keeps the old one as a revision); returns the old text."""
        self.check_resident_may_change(session, now)
        old = self.text
        self.text = text
        self.updated_at = now
        return old

    def withdraw(self, session: DialogueSession | None, now: datetime) -> OpinionState:
        self.check_resident_may_change(session, now)
        return self.transition(OpinionState.WITHDRAWN, now)


# Reference codes: short, unguessable, no look-alike characters (no 0/O, 1/I/L, U).
_CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_ref_code() -> str:
    return "YK-" + "".join(secrets.choice(_CODE_ALPHABET) for _ in range(6))


def normalise_ref_code(text: str) -> str | None:
    """Accept 'yk-abc234', 'YKABC234', ' YK ABC234 ' as the same code; None if not a code."""
    compact = "".join(ch for ch in text.upper() if ch.isalnum())
    if compact.startswith("YK"):
        compact = compact[2:]
    if len(compact) == 6 and all(ch in _CODE_ALPHABET for ch in compact):
        return "YK-" + compact
    return None
