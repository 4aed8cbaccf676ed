"""python -m nlp classify | evaluate | train

classify   JSON lines {"text": ...} on stdin -> one JSON line each on stdout, in order:
           {"topic", "topics", "kind", "allowed", "confidence", "reasons"}; a bad line gets
           {"error": ...} and the stream goes on.
evaluate   per-class precision / recall / F1 and confusion matrices on the held-out split.
train      build the model from the corpus into --model-dir.
           (`doithoai retrain` folds in the officers' corrections from the database.)
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from nlp.evaluate import report
from nlp.model import Model, training_examples
from nlp.screening import Classifier


def _classify(classifier: Classifier, stdin, stdout) -> None:
    for line in stdin:
        if not line.strip():
            stdout.write(json.dumps({"error": "empty line"}) + "\n")
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as err:
            stdout.write(json.dumps({"error": f"not JSON: {err.msg}"}) + "\n")
            continue
        text = item.get("text") if isinstance(item, dict) else None
        if not isinstance(text, str) or not text.strip():
            stdout.write(json.dumps({"error": "no text"}) + "\n")
            continue
        s = classifier.screen(text)
        result = {"topic": s.topic, "topics": s.topics, "kind": s.kind, "allowed": s.allowed,
                  "confidence": s.confidence, "reasons": s.reasons}  # fmt: skip
        stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        stdout.flush()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m nlp", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["classify", "evaluate", "train"])
    parser.add_argument("--model-dir", type=Path, default=Path("models"))
    args = parser.parse_args(argv)
    if args.command == "evaluate":
        print(report(Classifier(Model.train(training_examples()))))
        return 0
    if args.command == "train":  # officers' corrections: `doithoai retrain` reads them
        model = Model.train(training_examples())
        model.save(args.model_dir)
        print(f"model {model.fingerprint} saved in {args.model_dir}")
        return 0
    classifier = Classifier.from_folder(args.model_dir)
    _classify(classifier, sys.stdin, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
