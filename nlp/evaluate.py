"""Scores on the held-out split: per-class precision, recall, F1 and confusion matrices."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from nlp.labels import DIVERTED, FIELDS, KINDS, SCREENED_OUT
from nlp.model import load_corpus
from nlp.screening import Classifier


@dataclass(frozen=True)
class Scores:
    precision: float
    recall: float
    f1: float
    support: int


def per_class(gold: list[str], predicted: list[str], labels: list[str]) -> dict[str, Scores]:
    out = {}
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold, predicted, strict=True))
        fp = sum(g != label and p == label for g, p in zip(gold, predicted, strict=True))
        fn = sum(g == label and p != label for g, p in zip(gold, predicted, strict=True))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        out[label] = Scores(precision, recall, f1, tp + fn)
    return out


@dataclass(frozen=True)
class Evaluation:
    topic: dict[str, Scores]
    kind: dict[str, Scores]
    topic_macro_f1: float
    diverted_recall: float  # complaints + denunciations caught (as either)
    diverted_precision: float
    topic_confusion: Counter[tuple[str, str]]
    kind_confusion: Counter[tuple[str, str]]
    examples: int


def evaluate(classifier: Classifier) -> Evaluation:
    rows = load_corpus(split="test")
    screened = [classifier.screen(r["text"]) for r in rows]
    with_field = [(r, s) for r, s in zip(rows, screened, strict=True)
                  if r["kind"] not in SCREENED_OUT]  # fmt: skip
    topic = per_class([r["topic"] for r, _ in with_field], [s.topic for _, s in with_field],
                      list(FIELDS))  # fmt: skip
    kind = per_class([r["kind"] for r in rows], [s.kind for s in screened], list(KINDS))
    gold = [r["kind"] in DIVERTED for r in rows]
    flagged = [s.kind in DIVERTED for s in screened]
    caught = sum(g and f for g, f in zip(gold, flagged, strict=True))
    return Evaluation(
        topic=topic,
        kind=kind,
        topic_macro_f1=sum(s.f1 for s in topic.values()) / len(topic),
        diverted_recall=caught / max(sum(gold), 1),
        diverted_precision=caught / max(sum(flagged), 1),
        topic_confusion=Counter((r["topic"], s.topic) for r, s in with_field),
        kind_confusion=Counter((r["kind"], s.kind) for r, s in zip(rows, screened, strict=True)),
        examples=len(rows),
    )


def _table(scores: dict[str, Scores]) -> list[str]:
    lines = [f"{'label':<20}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}"]
    for label, s in scores.items():
        lines.append(f"{label:<20}{s.precision:>10.3f}{s.recall:>10.3f}{s.f1:>10.3f}{s.support:>9}")
    return lines


def _matrix(confusion: Counter[tuple[str, str]], labels: list[str]) -> list[str]:
    short = [label[:6] for label in labels]
    lines = ["gold \\ predicted".ljust(20) + "".join(f"{s:>7}" for s in short)]
    for gold in labels:
        counts = "".join(f"{confusion.get((gold, p), 0):>7}" for p in labels)
        lines.append(f"{gold:<20}{counts}")
    return lines


def report(classifier: Classifier) -> str:
    e = evaluate(classifier)
    lines = [f"held-out split: {e.examples} opinions (phrases, frames, cores unseen in training)",
             "", "FIELD (opinions that have one)", *_table(e.topic),
             f"macro-F1 {e.topic_macro_f1:.3f}", "", "KIND", *_table(e.kind),
             f"complaints + denunciations: recall {e.diverted_recall:.3f},"
             f" precision {e.diverted_precision:.3f}",
             "", "FIELD confusion", *_matrix(e.topic_confusion, list(FIELDS)),
             "", "KIND confusion", *_matrix(e.kind_confusion, list(KINDS))]  # fmt: skip
    return "\n".join(lines)
