"""Screening speed on one core: normalisation, cues, field and kind, reasons.

    python bench/nlp.py [--opinions 5000]

Builds the model into a temporary folder, then measures loading it and screening the
held-out opinions (repeated to --opinions), one at a time as intake does. The last line is
JSON: {"opinions_per_s", "p99_ms", "model_load_s", "model_mb", "opinions_per_s_cold"}; the
last is one pass over the distinct held-out texts with the per-word cache emptied first.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from nlp.model import Model, load_corpus, training_examples
from nlp.normalize import _normal_word as normal_word
from nlp.screening import Classifier


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--opinions", type=int, default=5000)
    args = parser.parse_args()
    if hasattr(os, "sched_setaffinity"):
        os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})  # one core, as the issue asks
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        Model.train(training_examples()).save(folder)
        started = time.perf_counter()
        model = Model.load(folder)
        load_s = time.perf_counter() - started
        size_mb = model.size_bytes(folder) / 1e6
    classifier = Classifier(model)
    distinct = [r["text"] for r in load_corpus(split="test")]
    texts = (distinct * (args.opinions // len(distinct) + 1))[: args.opinions]
    classifier.screen(texts[0])  # build the lexicon index once
    normal_word.cache_clear()  # cold: every word of the held-out split seen for the first time
    started = time.perf_counter()
    for text in distinct:
        classifier.screen(text)
    cold = len(distinct) / (time.perf_counter() - started)
    timings = []
    started = time.perf_counter()
    for text in texts:
        t0 = time.perf_counter()
        classifier.screen(text)
        timings.append(time.perf_counter() - t0)
    elapsed = time.perf_counter() - started
    timings.sort()
    print(json.dumps({
        "opinions_per_s": round(len(texts) / elapsed, 1),
        "p99_ms": round(timings[int(len(timings) * 0.99)] * 1000, 3),
        "model_load_s": round(load_s, 4),
        "model_mb": round(size_mb, 2),
        "opinions_per_s_cold": round(cold, 1),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
