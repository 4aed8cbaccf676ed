"""Compose the labelled corpus from the hand-written phrase banks.

    python -m nlp.corpus.build      # rewrites nlp/corpus/opinions.jsonl (deterministic)

Registers: formal; chatty (lower case, shorthand such as "ko", "dc", "bh"); without
diacritics; long (with context and a polite ending); two fields in one message. The held-out
split is made of phrases, frames and cores that never occur in training, so its scores
measure how well the model meets wording it has not seen, not how well it remembers.
"""

from __future__ import annotations

import json
import random
import re
from pathlib import Path

from nlp.corpus import handwritten, phrases
from nlp.normalize import fold

OUT = Path(__file__).with_name("opinions.jsonl")
SEED = 20261123
PER_TOPIC = {"train": 150, "test": 40}
PER_KIND = {
    "khieu_nai": {"train": 300, "test": 80},
    "to_cao": {"train": 300, "test": 80},
    "spam": {"train": 120, "test": 30},
    "abuse": {"train": 100, "test": 25},
}
SHORTHAND = {"không": "ko", "được": "dc", "bao giờ": "bh", "gì": "j", "với": "vs", "người": "ng"}


def held_out(index: int, every: int = 5) -> bool:
    return index % every == 2


def split(items: list, every: int = 5) -> dict[str, list]:
    return {
        "train": [x for i, x in enumerate(items) if not held_out(i, every)],
        "test": [x for i, x in enumerate(items) if held_out(i, every)],
    }


def tidy(text: str) -> str:
    text = re.sub(r"\s+([,.?:;])", r"\1", re.sub(r"\s{2,}", " ", text)).strip()
    text = re.sub(r"([.?:]\s+)(\w)", lambda m: m.group(1) + m.group(2).upper(), text)
    return text[:1].upper() + text[1:]


def register(text: str, rng: random.Random) -> str:
    roll = rng.random()
    if roll < 0.45:
        return text
    if roll < 0.70:  # chatty: lower case, shorthand, no final stop
        text = text.lower().rstrip(".")
        for word, short in SHORTHAND.items():
            if rng.random() < 0.7:
                text = re.sub(rf"\b{word}\b", short, text)
        return text
    if roll < 0.88:  # typed without diacritics
        return fold(text) if rng.random() < 0.6 else fold(text).capitalize()
    return text.upper() if rng.random() < 0.15 else text  # some people write in capitals


def long_form(body: str, rng: random.Random) -> str:
    if rng.random() < 0.25:
        body = f"{rng.choice(phrases.CONTEXT)} {body}"
    if rng.random() < 0.3:
        body = f"{body} {rng.choice(phrases.ENDINGS)}"
    return body


def topic_examples(part: str, rng: random.Random) -> list[dict]:
    out = []
    problem_frames = split(phrases.PROBLEM_FRAMES, 4)[part]
    request_frames = split(phrases.REQUEST_FRAMES, 4)[part]
    topics = list(phrases.TOPICS)
    pools = {t: {k: split(v)[part] for k, v in phrases.TOPICS[t].items()} for t in topics}
    for topic in topics:
        pool = pools[topic]
        for _ in range(PER_TOPIC[part]):
            place = rng.choice(phrases.PLACES)
            roll = rng.random()
            labels = [topic]
            if roll < 0.4:
                body = rng.choice(problem_frames).format(p=rng.choice(pool["problems"]), w=place)
            elif roll < 0.8:
                body = rng.choice(request_frames).format(r=rng.choice(pool["requests"]), w=place)
            elif roll < 0.9:
                body = (f"{rng.choice(pool['problems'])} {place}. "
                        f"Đề nghị {rng.choice(pool['requests'])}.")  # fmt: skip
            else:  # two fields in one message: the first is the main one
                other = rng.choice([t for t in topics if t not in (topic, "khac")])
                body = (
                    f"{rng.choice(pool['problems'])} {place}; ngoài ra "
                    f"{rng.choice(pools[other]['problems'])}, đề nghị xã xem xét cả hai việc."
                )
                labels = [topic, other]  # fmt: skip
            text = register(tidy(long_form(body, rng)), rng)
            out.append({"text": text, "topic": topic, "topics": labels, "kind": "kien_nghi"})
    return out


def kind_examples(part: str, rng: random.Random) -> list[dict]:
    out = []
    names, roles = phrases.NAMES, phrases.ROLES
    openers = ["", "", "Kính gửi UBND xã. ", "Tôi là {name} ở {w}. ", "Thưa các đồng chí, "]
    closers = ["", "", " Đề nghị trả lời bằng văn bản.", " Tôi đã gửi đơn nhiều lần.",
               " Mong được giải quyết theo pháp luật."]  # fmt: skip
    for kind, cores in (("khieu_nai", phrases.COMPLAINTS), ("to_cao", phrases.DENUNCIATIONS)):
        pool = split(cores)[part]
        for _ in range(PER_KIND[kind][part]):
            topic, core = rng.choice(pool)
            place = rng.choice([p for p in phrases.PLACES if p]).split(" ", 1)[-1]
            body = core.format(n=rng.randint(12, 480), name=rng.choice(names),
                               role=rng.choice(roles), w=place)  # fmt: skip
            opener = rng.choice(openers).format(name=rng.choice(names[:10]), w=place)
            text = register(tidy(long_form(opener + body + "." + rng.choice(closers), rng)), rng)
            out.append({"text": text, "topic": topic, "topics": [topic], "kind": kind})
    for kind, lines in (("spam", phrases.SPAM), ("abuse", phrases.ABUSE)):
        pool = split(lines)[part]
        for _ in range(PER_KIND[kind][part]):
            text = rng.choice(pool)
            if rng.random() < 0.3:
                text += rng.choice(["!!!", " ...", " nhé", " đấy", "!"])
            text = register(text, rng)
            out.append({"text": text, "topic": "khac", "topics": ["khac"], "kind": kind})
    return out


def build() -> list[dict]:
    rng = random.Random(SEED)
    rows = []
    for part in ("train", "test"):
        for row in topic_examples(part, rng) + kind_examples(part, rng):
            rows.append({**row, "split": part, "source": "composed"})
        for text, topic, topics, kind in split(handwritten.EXAMPLES, 4)[part]:
            rows.append({"text": text, "topic": topic, "topics": topics, "kind": kind,
                         "split": part, "source": "handwritten"})  # fmt: skip
    seen: set[str] = set()
    unique = []
    for row in rows:  # the same text twice (up to accents) is kept once, in its first split
        key = fold(row["text"])
        if key not in seen:
            seen.add(key)
            unique.append(row)
    return unique


def main() -> None:
    rows = build()
    with OUT.open("w", encoding="utf-8") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    counts: dict[str, int] = {}
    for row in rows:
        counts[row["split"]] = counts.get(row["split"], 0) + 1
    print(f"wrote {len(rows)} opinions to {OUT} ({counts})")


if __name__ == "__main__":
    main()
