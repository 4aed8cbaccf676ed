"""The screening interface intake depends on.

Each opinion is tagged with a field (topic) and a kind (kiến nghị, khiếu nại, tố cáo, spam,
abuse) before an officer sees it. `Classifier` is the trained screener; intake depends only on
the `Screener` protocol.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from nlp.labels import DIVERTED, FIELDS, KINDS, SCREENED_OUT
from nlp.lexicon import scan, with_cues
from nlp.model import Example, Model
from nlp.normalize import prepare

UNSURE_BELOW = 0.40  # field score under which an officer is told the tag is a guess
KIND_SURE = 0.45  # spam / abuse are screened out only above this score
LITERAL_DENUNCIATION = frozenset({"tố cáo", "tố giác"})
LITERAL_COMPLAINT = frozenset({"khiếu nại", "đơn khiếu nại"})


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


def _decimal(value: float) -> str:
    return f"{value:.2f}".replace(".", ",")  # Vietnamese decimal comma


def _quote(words: list[str], limit: int = 4) -> str:
    return ", ".join(f"«{w}»" for w in words[:limit])


class Classifier:
    """The trained screener: field by the model, kind by the model and explicit cues.

    Recall on complaints and denunciations matters most (a missed one reaches the meeting; a
    false alarm only goes to an officer), so the words "khiếu nại", "tố cáo", "tố giác"
    divert a message whatever the model says, and every decision says why.
    """

    def __init__(self, model: Model) -> None:
        self.model = model

    @classmethod
    def from_folder(cls, folder: Path, feedback: list[Example] | None = None) -> Classifier:
        return cls(Model.ensure(folder, feedback or []))

    def screen(self, text: str) -> Screening:
        accented, folded = prepare(text)
        found = scan(accented, folded)
        feats = with_cues(accented, folded, found)
        kind, kind_score = self.model.kind.predict_with_score(feats)
        topic, topic_score = self.model.topic.predict_with_score(feats)
        cues, fields = found.kinds, found.fields
        reasons: list[str] = []

        if LITERAL_DENUNCIATION & set(cues.get("to_cao", [])):
            kind, kind_score = "to_cao", max(kind_score, 0.9)
        elif LITERAL_COMPLAINT & set(cues.get("khieu_nai", [])) and kind != "to_cao":
            kind, kind_score = "khieu_nai", max(kind_score, 0.9)
        elif kind == "kien_nghi" and "to_cao" in cues and "official" in cues:
            kind = "to_cao"  # a wrongdoing and who did it: the definition of a denunciation
        elif kind == "kien_nghi" and "khieu_nai" in cues and "personal" in cues:
            kind = "khieu_nai"  # a decision to review, about the sender's own rights
        elif kind in SCREENED_OUT and kind_score < KIND_SURE:
            reasons.append(f"Có thể là {KINDS[kind].lower()}, nhưng chưa chắc: chờ cán bộ xem xét")
            kind = "kien_nghi"

        if kind == "to_cao":
            found = cues.get("to_cao", []) + cues.get("khieu_nai", [])
            reasons.append("Có dấu hiệu tố cáo (phản ánh vi phạm của người, cơ quan cụ thể)"
                           + (f": {_quote(found)}" if found else ""))  # fmt: skip
        elif kind == "khieu_nai":
            found = cues.get("khieu_nai", []) + cues.get("personal", [])
            reasons.append(
                "Có dấu hiệu khiếu nại (đề nghị xem xét lại quyết định, việc làm"
                " liên quan quyền lợi riêng)" + (f": {_quote(found)}" if found else "")
            )
        elif kind == "abuse":
            found = cues.get("abuse", [])
            reasons.append("Có lời lẽ xúc phạm" + (f": {_quote(found)}" if found else ""))
        elif kind == "spam":
            reasons.append("Quảng cáo, trò chuyện hoặc nội dung không liên quan hội nghị")
        if kind in DIVERTED:
            reasons.append("Không đưa ra hội nghị đối thoại; chuyển quy trình tiếp công dân"
                           " (Luật Khiếu nại 2011, Luật Tố cáo 2018)")  # fmt: skip

        if kind in SCREENED_OUT:
            return Screening("khac", kind, False, round(kind_score, 3), ["khac"], reasons)

        secondary = [
            f for f, words in sorted(fields.items(), key=lambda kv: -len(kv[1]))
            if f != topic and f != "khac" and len(words) >= 2
        ]  # fmt: skip
        topics = [topic, *secondary[:2]]
        words = fields.get(topic, [])
        reasons.insert(0, f"Lĩnh vực: {FIELDS[topic]} (độ tin cậy {_decimal(topic_score)})"
                       + (f"; từ khóa {_quote(words)}" if words else ""))  # fmt: skip
        for other in topics[1:]:
            reasons.append(f"Liên quan cả lĩnh vực {FIELDS[other]}: {_quote(fields[other])}")
        if topic_score < UNSURE_BELOW:
            reasons.append("Độ tin cậy thấp: đề nghị cán bộ kiểm tra lại lĩnh vực")
        confidence = topic_score if kind == "kien_nghi" else min(topic_score, kind_score)
        return Screening(topic, kind, kind not in DIVERTED, round(confidence, 3), topics, reasons)
