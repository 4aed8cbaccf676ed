"""The domain model's own rules, without any I/O."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.errors import CutoffPassed, InvalidTransition
from bot.model import (
    TRANSITIONS,
    DialogueSession,
    Opinion,
    OpinionState,
    new_ref_code,
    normalise_ref_code,
)

NOW = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
S = OpinionState


def opinion(state: OpinionState = S.RECEIVED) -> Opinion:
    return Opinion(None, "YK-ABC234", 1, 14161, 1, "Đề nghị sửa đường", None, "telegram",
                   state, NOW, NOW)  # fmt: skip


def session(cutoff: datetime) -> DialogueSession:
    return DialogueSession(1, 14161, "Đối thoại", cutoff + timedelta(days=2), "Hội trường",
                           "Chủ tịch", cutoff)  # fmt: skip


def test_the_happy_path_of_an_opinion() -> None:
    op = opinion()
    for target in (S.SCREENED, S.PENDING_REVIEW, S.APPROVED, S.ASSIGNED, S.ANSWERED,
                   S.DELIVERED, S.CLOSED):  # fmt: skip
        previous = op.state
        assert op.transition(target, NOW) is previous
    assert op.state is S.CLOSED


@pytest.mark.parametrize(
    ("current", "target"),
    [(c, t) for c in S for t in S if t not in TRANSITIONS[c]],
)
def test_every_illegal_transition_raises(current: OpinionState, target: OpinionState) -> None:
    op = opinion(current)
    with pytest.raises(InvalidTransition):
        op.transition(target, NOW)
    assert op.state is current


def test_diverted_and_rejected_items_can_be_reopened_by_an_officer() -> None:
    for state in (S.DIVERTED, S.REJECTED):
        op = opinion(state)
        op.transition(S.PENDING_REVIEW, NOW)
        assert op.state is S.PENDING_REVIEW


def test_withdrawn_is_final() -> None:
    assert TRANSITIONS[S.WITHDRAWN] == frozenset()


def test_resident_changes_stop_at_the_cutoff() -> None:
    op = opinion(S.PENDING_REVIEW)
    assert op.revise("Đề nghị sửa đường xóm 2", session(NOW + timedelta(seconds=1)), NOW) == (
        "Đề nghị sửa đường"
    )
    with pytest.raises(CutoffPassed):
        op.withdraw(session(NOW), NOW)
    op.withdraw(None, NOW)  # not yet assigned to a session: always possible
    assert op.state is S.WITHDRAWN


def test_resident_cannot_change_an_approved_opinion() -> None:
    op = opinion(S.APPROVED)
    with pytest.raises(InvalidTransition):
        op.revise("khác", None, NOW)


def test_reference_codes() -> None:
    codes = {new_ref_code() for _ in range(2000)}
    assert len(codes) == 2000
    assert all(normalise_ref_code(c) == c for c in codes)
    assert normalise_ref_code(" yk abc234 ") == "YK-ABC234"
    assert normalise_ref_code("ABC234") == "YK-ABC234"
    assert normalise_ref_code("YK-ABC23O") is None  # O is not in the alphabet
    assert normalise_ref_code("hello") is None
