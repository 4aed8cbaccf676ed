"""The official list of communes and wards (34 provinces, 3,321 units since 1 July 2025)."""

from __future__ import annotations

from functools import lru_cache

from vietnam_provinces import Province, Ward

from bot.model import Commune
from nlp.normalize import fold

_PREFIXES = ("xa ", "phuong ", "dac khu ", "thi tran ")


@lru_cache(maxsize=1)
def official_communes() -> dict[int, Commune]:
    provinces = {p.code: p.name for p in Province.iter_all()}
    return {
        int(w.code): Commune(code=int(w.code), name=w.name, province=provinces[w.province_code])
        for w in Ward.iter_all()
    }


def official(code: int) -> Commune | None:
    return official_communes().get(code)


def _bare(name: str) -> str:
    folded = fold(name)
    for prefix in _PREFIXES:
        if folded.startswith(prefix):
            return folded[len(prefix) :]
    return folded


def search(query: str, among: list[Commune], limit: int = 8) -> list[Commune]:
    """Communes whose name matches `query`, best first: exact, then prefix, then substring.

    Matching ignores case, diacritics and the 'Xã'/'Phường' prefix, so 'giao minh', 'Giao Minh'
    and 'xã Giao Minh' all find Xã Giao Minh. A query may add the province after a comma.
    """
    name_part, _, province_part = query.partition(",")
    q = _bare(name_part)
    p = fold(province_part).removeprefix("tinh ").removeprefix("thanh pho ").strip()
    if not q:
        return []
    ranked: list[tuple[int, str, Commune]] = []
    for commune in among:
        bare = _bare(commune.name)
        if p and p not in fold(commune.province):
            continue
        if bare == q:
            rank = 0
        elif bare.startswith(q):
            rank = 1
        elif q in bare:
            rank = 2
        else:
            continue
        ranked.append((rank, bare, commune))
    ranked.sort(key=lambda item: (item[0], item[1], item[2].province))
    return [commune for _, _, commune in ranked[:limit]]
