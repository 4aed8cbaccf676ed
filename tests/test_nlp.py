"""The language layer: normalisation, cues, the trained screener, duplicates, the CLI."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from nlp.duplicates import similar
from nlp.evaluate import evaluate
from nlp.lexicon import scan
from nlp.model import Example, Model, training_examples
from nlp.normalize import for_model, modern_tones, prepare, redact
from nlp.screening import Classifier
from tests.harness import MODEL_DIR

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return Classifier.from_folder(MODEL_DIR)


def test_normalisation_for_the_model() -> None:
    assert modern_tones("hoà bình, thuỷ lợi, quý, khoẻ") == "hòa bình, thủy lợi, quý, khỏe"
    accented, folded = prepare(
        "Đường xá hư hỏngggg ko đi dc!!! Gọi 0912 345 678, CCCD 012345678901"
    )
    assert accented == ("đường xá hư hỏng không đi được gọi sodienthoai căn cước công dân"
                        " sogiayto")  # fmt: skip
    assert folded == "duong xa hu hong khong di duoc goi sodienthoai can cuoc cong dan sogiayto"
    assert for_model("duong xa hu hong") == "duong xa hu hong"  # typed without accents


def test_redaction_for_officers_outside_the_front() -> None:
    text = "Tôi là An, sđt 0912.345.678, CCCD 001234567890, thư a.b@gmail.com, nhà số 12"
    assert redact(text) == (
        "Tôi là An, sđt [số điện thoại], CCCD [số giấy tờ], thư [email], nhà số 12"
    )


def test_cues_do_not_fire_inside_other_words() -> None:
    cues = scan(*prepare("Gia đình tôi đề nghị xã yêu cầu nhà máy giảm ô nhiễm môi trường"))
    assert "van_hoa_the_thao" not in cues.fields  # "đình" of "gia đình" is not a temple
    assert "giao_duc" not in cues.fields  # "trường" of "môi trường" is not a school
    assert "abuse" not in scan(*prepare("toi ngu khong duoc vi on")).kinds  # "ngủ", unaccented
    cues = scan(*prepare("can bo dia chinh nhan tien cua dan"))  # without accents
    assert cues.kinds["to_cao"] == ["nhận tiền"] and "địa chính" in cues.kinds["official"]


@pytest.mark.parametrize(
    ("text", "topic", "kind", "allowed"),
    [
        ("Đề nghị sửa đường liên thôn xóm 3 bị sụt lún, mưa là ngập", "giao_thong", "kien_nghi", True),
        ("bao gio xom em co nuoc sach a, nuoc gieng nhiem phen", "ha_tang_dien_nuoc", "kien_nghi", True),
        ("Tôi khiếu nại quyết định thu hồi đất số 12/QĐ-UBND đối với gia đình tôi", "dat_dai", "khieu_nai", False),
        ("Cán bộ địa chính xã nhận tiền của dân mới làm sổ đỏ", "dat_dai", "to_cao", False),
        ("Bán đất nền giá rẻ, liên hệ ngay 0912345678", "khac", "spam", False),
    ],
)  # fmt: skip
def test_screening_decisions(
    classifier: Classifier, text: str, topic: str, kind: str, allowed: bool
) -> None:
    s = classifier.screen(text)
    assert (s.topic, s.kind, s.allowed) == (topic, kind, allowed)
    assert s.reasons and 0.0 <= s.confidence <= 1.0


def test_two_fields_in_one_opinion(classifier: Classifier) -> None:
    s = classifier.screen(
        "Trạm y tế thiếu thuốc, đề nghị bổ sung; ngoài ra đường vào trạm ngập nước, nhiều ổ gà"
    )
    assert s.topics == ["y_te", "giao_thong"]
    assert any("Giao thông" in r for r in s.reasons)


def test_held_out_figures(classifier: Classifier) -> None:
    """The issue's targets, on the split the model never trained on."""
    e = evaluate(classifier)
    assert e.topic_macro_f1 >= 0.85
    assert e.diverted_recall >= 0.97
    assert e.diverted_precision >= 0.90


def test_near_duplicates() -> None:
    new = "Đề nghị xã sửa đường liên thôn từ xóm 3 đến xóm 5 bị sụt lún"
    found = similar(new, [
        ("A", "duong lien thon xom 3 di xom 5 sut lun nang, de nghi sua"),
        ("B", "Bà con xóm 5 đề nghị sửa đoạn đường liên thôn bị sụt lún từ xóm 3"),
        ("C", "Đề nghị xã sửa đèn chiếu sáng ở xóm 3"),
        ("D", "Trạm y tế thiếu thuốc"),
    ])  # fmt: skip
    assert [m.key for m in found] == ["B", "A"]


def test_officers_corrections_change_the_model(tmp_path: Path) -> None:
    text = "Đề nghị xã tổ chức lớp học võ cổ truyền miễn phí cho thiếu niên vào dịp hè"
    before = Classifier(Model.ensure(tmp_path))
    corrected = "an_ninh_trat_tu" if before.screen(text).topic != "an_ninh_trat_tu" else "y_te"
    feedback = [Example(text, corrected, "kien_nghi")]
    after = Classifier.from_folder(tmp_path, feedback)
    assert after.model.fingerprint != before.model.fingerprint  # rebuilt, not the cached one
    assert after.screen(text).topic == corrected
    assert Model.ensure(tmp_path, feedback).fingerprint == after.model.fingerprint  # cached now
    assert len(training_examples(feedback)) == len(training_examples()) + 3


def test_classify_command_streams_json_lines(tmp_path: Path) -> None:
    lines = [
        json.dumps({"text": "Đề nghị bổ sung thuốc cho trạm y tế xã"}, ensure_ascii=False),
        "not json",
        json.dumps({"x": 1}),
        "",
        json.dumps({"text": "   "}),
        json.dumps({"text": "Tôi tố cáo trưởng thôn ăn chặn tiền hỗ trợ lũ lụt"}, ensure_ascii=False),
    ]  # fmt: skip
    result = subprocess.run(
        [sys.executable, "-m", "nlp", "classify", "--model-dir", str(MODEL_DIR)],
        input="\n".join(lines) + "\n", capture_output=True, text=True, cwd=ROOT, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(out) == len(lines)
    assert out[0]["topic"] == "y_te" and out[0]["allowed"] is True
    assert set(out[0]) == {"topic", "topics", "kind", "allowed", "confidence", "reasons"}
    assert all("error" in o for o in out[1:5])
    assert out[5]["kind"] == "to_cao" and out[5]["allowed"] is False


def test_committed_corpus_is_what_the_generator_makes() -> None:
    from nlp.corpus.build import OUT, build

    committed = [json.loads(line) for line in OUT.read_text(encoding="utf-8").splitlines()]
    assert committed == build()
    assert len([r for r in committed if r["split"] == "train"]) >= 2000
