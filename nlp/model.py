"""Training, saving and loading the two classifiers (field and kind).

Both are underthesea_core `TextClassifier`s (TF-IDF over word 1-3-grams + linear SVM, in
Rust), trained on the team's corpus and on officers' corrections. Nothing is downloaded: the
model is built from the corpus in the repository, in about a second, and cached in a folder;
a fingerprint of what it was built from tells when it must be built again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from underthesea_core import TextClassifier

from nlp.lexicon import with_cues
from nlp.normalize import prepare

log = logging.getLogger(__name__)

CORPUS = Path(__file__).with_name("corpus") / "opinions.jsonl"
MODEL_VERSION = 1  # bump when features or settings change: cached models are rebuilt
SETTINGS = {"ngram_range": (1, 3), "min_df": 2, "max_features": 20000, "c": 1.0}
NO_FIELD_KINDS = frozenset({"spam", "abuse"})  # their "field" means nothing: not trained on
FEEDBACK_WEIGHT = 3  # an officer's correction counts as three corpus examples


@dataclass(frozen=True)
class Example:
    text: str
    topic: str
    kind: str


def features(text: str) -> str:
    return with_cues(*prepare(text))


def load_corpus(path: Path = CORPUS, split: str | None = "train") -> list[dict]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [r for r in rows if split is None or r["split"] == split]


def fingerprint(examples: Sequence[Example]) -> str:
    digest = hashlib.sha256(f"v{MODEL_VERSION}{sorted(SETTINGS.items())}".encode())
    for e in examples:
        digest.update(f"{e.text}\t{e.topic}\t{e.kind}\n".encode())
    return digest.hexdigest()[:16]


def training_examples(feedback: Iterable[Example] = ()) -> list[Example]:
    rows = [Example(r["text"], r["topic"], r["kind"]) for r in load_corpus()]
    for correction in feedback:
        rows.extend([correction] * FEEDBACK_WEIGHT)
    return rows


@dataclass
class Model:
    topic: TextClassifier
    kind: TextClassifier
    fingerprint: str

    @classmethod
    def train(cls, examples: Sequence[Example]) -> Model:
        started = time.perf_counter()
        feats = [features(e.text) for e in examples]
        topic = TextClassifier(**SETTINGS)
        with_field = [(f, e.topic) for f, e in zip(feats, examples, strict=True)
                      if e.kind not in NO_FIELD_KINDS]  # fmt: skip
        topic.fit([f for f, _ in with_field], [t for _, t in with_field])
        kind = TextClassifier(**SETTINGS)
        kind.fit(feats, [e.kind for e in examples])
        log.info("trained on %d examples in %.1fs", len(examples), time.perf_counter() - started)
        return cls(topic, kind, fingerprint(examples))

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        self.topic.save(str(folder / "topic.bin"))
        self.kind.save(str(folder / "kind.bin"))
        meta = {"fingerprint": self.fingerprint, "version": MODEL_VERSION}
        (folder / "model.json").write_text(json.dumps(meta), encoding="utf-8")

    @classmethod
    def load(cls, folder: Path) -> Model:
        meta = json.loads((folder / "model.json").read_text(encoding="utf-8"))
        return cls(
            TextClassifier.load(str(folder / "topic.bin")),
            TextClassifier.load(str(folder / "kind.bin")),
            meta["fingerprint"],
        )

    @classmethod
    def ensure(cls, folder: Path, feedback: Sequence[Example] = ()) -> Model:
        """The model for the corpus and these corrections: loaded if cached, else built."""
        examples = training_examples(feedback)
        wanted = fingerprint(examples)
        try:
            model = cls.load(folder)
            if model.fingerprint == wanted:
                return model
        except (OSError, ValueError, KeyError, RuntimeError):
            pass
        model = cls.train(examples)
        model.save(folder)
        return model

    def size_bytes(self, folder: Path) -> int:
        return sum(p.stat().st_size for p in folder.glob("*.bin"))
