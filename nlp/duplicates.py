"""Near-duplicate opinions: "12 residents asked about the same road".

Each text becomes a set of shingles (content words and word pairs, without diacritics and
without the words every opinion shares, such as "đề nghị", "xã", "bà con"); two opinions are
alike when their sets overlap. Cheap enough to compare a new opinion with every opinion of its
session.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import pairwise
from typing import Generic, TypeVar

from nlp.normalize import prepare

K = TypeVar("K")
SAME_BELOW = 0.45  # overlap from which two opinions are shown to officers as alike

_COMMON = frozenset(
    "de nghi kien nghi xin hoi xa thon xom ba con cu tri toi chung toi la va co khong duoc cho "
    "cac nhung mot cua o tai thi ma da dang se rat nay do voi ve den tu khi nao bao gio mong "
    "quan tam giai quyet som a nhe lanh dao chinh quyen ubnd uy ban nhan dan phan anh viec "
    "tinh trang hien nay nhieu con nen can them hon".split()
)


@lru_cache(maxsize=50_000)  # a session's opinions are compared again with each new one
def shingles(text: str) -> frozenset[str]:
    words = [w for w in prepare(text)[1].split() if w not in _COMMON and not w.isdigit()]
    pairs = {f"{a}_{b}" for a, b in pairwise(words)}
    return frozenset(words) | pairs


def likeness(a: frozenset[str], b: frozenset[str]) -> float:
    """Overlap of two shingle sets: 1.0 the same, 0.0 nothing in common.

    The mean of Jaccard and containment, so a short opinion inside a longer one that says
    more still counts as the same matter.
    """
    if not a or not b:
        return 0.0
    common = len(a & b)
    return (common / len(a | b) + common / min(len(a), len(b))) / 2


@dataclass(frozen=True)
class Match(Generic[K]):
    key: K
    score: float


def similar(
    text: str, candidates: Iterable[tuple[K, str]], threshold: float = SAME_BELOW, limit: int = 5
) -> list[Match[K]]:
    """The candidates that say the same thing as `text`, most alike first."""
    mine = shingles(text)
    found = [Match(key, round(likeness(mine, shingles(other)), 3)) for key, other in candidates]
    found = [m for m in found if m.score >= threshold]
    return sorted(found, key=lambda m: -m.score)[:limit]
