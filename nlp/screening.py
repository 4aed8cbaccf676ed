"""The screening interface intake depends on.

Each opinion is tagged with a field (topic) and a kind (kiến nghị, khiếu nại, tố cáo, spam,
abuse) before an officer sees it. The trained classifier plugs in behind `Screener`; until it
does, `ManualScreener` sends every opinion to an officer marked as not yet classified.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


@dataclass(frozen=True)
class Screening:
    topic: str
    kind: str
    allowed: bool  # may it go to the meeting?
    confidence: float  # 0..1; low confidence is shown to officers as "unsure"
    topics: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)


class Screener(Protocol):
    def screen(self, text: str) -> Screening: ...


class ManualScreener:
    """No automatic tagging: every opinion goes to an officer, flagged as unclassified."""

    def screen(self, text: str) -> Screening:
        return Screening(
            topic="khac",
            kind="kien_nghi",
            allowed=True,
            confidence=0.0,
            topics=["khac"],
            reasons=["Chưa phân loại tự động: chờ cán bộ xem xét"],
        )
