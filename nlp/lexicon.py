"""Explicit cues: words that point to a field or to a kind of message.

They serve three purposes: extra features for the classifier (a cue found adds the word
`cue_<field>` to what the model reads, so a field is recognised from its vocabulary even in
wording the corpus never had), the reasons an officer reads, and the secondary fields of an
opinion that touches several. Terms are lower case with diacritics; matching also accepts the
same term typed without them.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from nlp.normalize import fold

FIELD_TERMS: dict[str, list[str]] = {
    "dat_dai": [
        "đất",
        "sổ đỏ",
        "sổ hồng",
        "thửa",
        "địa chính",
        "giải phóng mặt bằng",
        "bồi thường",
        "đền bù",
        "tái định cư",
        "quy hoạch",
        "tách thửa",
        "chuyển mục đích",
        "mốc giới",
        "lấn chiếm",
        "tranh chấp đất",
        "quyền sử dụng đất",
        "đấu giá đất",
        "đo đạc",
        "thu hồi đất",
    ],
    "moi_truong": [
        "rác",
        "ô nhiễm",
        "môi trường",
        "nước thải",
        "xả thải",
        "bốc mùi",
        "hôi thối",
        "khói",
        "bụi",
        "vệ sinh môi trường",
        "thu gom",
        "bãi rác",
        "nạo vét",
        "cống",
        "tiếng ồn",
        "nghĩa trang",
        "cây xanh",
        "phế thải",
        "ruồi",
        "muỗi",
        "bao bì thuốc bảo vệ thực vật",
    ],
    "giao_thong": [
        "đường",
        "cây cầu",
        "cầu tạm",
        "cầu qua",
        "làm cầu",
        "cầu dân sinh",
        "cầu cống",
        "giao thông",
        "ổ gà",
        "xe tải",
        "biển báo",
        "ùn tắc",
        "va chạm",
        "tai nạn",
        "mặt đường",
        "bê tông hóa",
        "lòng đường",
        "vỉa hè",
        "gờ giảm tốc",
        "đường liên thôn",
        "quốc lộ",
        "bến đò",
        "mũ bảo hiểm",
        "tốc độ",
        "đèn tín hiệu",
    ],
    "y_te": [
        "y tế",
        "trạm y tế",
        "bác sĩ",
        "thuốc",
        "khám bệnh",
        "khám chữa bệnh",
        "bảo hiểm y tế",
        "tiêm chủng",
        "tiêm phòng",
        "dịch bệnh",
        "sốt xuất huyết",
        "bệnh viện",
        "cấp cứu",
        "an toàn thực phẩm",
        "người bệnh",
        "sức khỏe",
        "xét nghiệm",
    ],
    "giao_duc": [
        "trường học",
        "nhà trường",
        "điểm trường",
        "cổng trường",
        "sân trường",
        "học sinh",
        "giáo viên",
        "lớp học",
        "phòng học",
        "học phí",
        "năm học",
        "mầm non",
        "tiểu học",
        "trung học",
        "dạy thêm",
        "học thêm",
        "sách giáo khoa",
        "bán trú",
        "thư viện trường",
        "các cháu đi học",
        "phụ huynh",
        "nhà trường",
        "giáo dục",
        "đầu năm học",
        "quỹ lớp",
        "tiền trường",
        "cô giáo",
        "thầy giáo",
        "con em",
    ],
    "an_ninh_trat_tu": [
        "trộm",
        "cắp",
        "an ninh",
        "trật tự",
        "ma túy",
        "đua xe",
        "đánh bạc",
        "cờ bạc",
        "cho vay nặng lãi",
        "tín dụng đen",
        "công an",
        "lừa đảo",
        "karaoke",
        "gây rối",
        "tạm trú",
        "camera",
        "tuần tra",
        "đánh nhau",
        "pháo nổ",
        "tệ nạn",
    ],
    "quoc_phong": [
        "nghĩa vụ quân sự",
        "nhập ngũ",
        "dân quân",
        "quân sự",
        "xuất ngũ",
        "tại ngũ",
        "liệt sĩ",
        "khám tuyển",
        "tạm hoãn nghĩa vụ",
        "huấn luyện",
        "quân nhân",
        "bộ đội",
    ],
    "chinh_sach_xa_hoi": [
        "hộ nghèo",
        "cận nghèo",
        "trợ cấp",
        "người có công",
        "thương binh",
        "chế độ chính sách",
        "người cao tuổi",
        "khuyết tật",
        "bảo trợ xã hội",
        "việc làm",
        "xuất khẩu lao động",
        "nhà tình nghĩa",
        "hỗ trợ thiên tai",
        "chất độc da cam",
        "mồ côi",
        "neo đơn",
        "bảo hiểm xã hội",
        "vốn vay ưu đãi",
        "ngân hàng chính sách",
        "an sinh",
    ],
    "nong_nghiep": [
        "ruộng",
        "lúa",
        "nông nghiệp",
        "thủy lợi",
        "kênh tưới",
        "trạm bơm",
        "phân bón",
        "giống lúa",
        "con giống",
        "cây giống",
        "chăn nuôi",
        "dịch tả lợn",
        "gia súc",
        "gia cầm",
        "thủy sản",
        "nuôi tôm",
        "nông thôn mới",
        "hợp tác xã",
        "dồn điền đổi thửa",
        "mùa vụ",
        "nông sản",
        "đê bao",
        "bờ đê",
        "kè",
        "sạt lở",
        "ngăn mặn",
        "canh tác",
        "nông dân",
    ],
    "ha_tang_dien_nuoc": [
        "tiền điện",
        "điện sinh hoạt",
        "đường dây điện",
        "nước sạch",
        "nước máy",
        "đèn chiếu sáng",
        "đèn đường",
        "cột điện",
        "dây điện",
        "trạm biến áp",
        "mất điện",
        "cắt điện",
        "điện áp",
        "đường ống nước",
        "sóng điện thoại",
        "internet",
        "viễn thông",
        "loa truyền thanh",
        "công tơ",
        "giếng",
    ],
    "hanh_chinh": [
        "thủ tục",
        "hồ sơ",
        "một cửa",
        "cán bộ",
        "thái độ",
        "chứng thực",
        "dịch vụ công",
        "trực tuyến",
        "hành chính",
        "giấy tờ",
        "căn cước",
        "khai sinh",
        "tiếp dân",
        "tiếp công dân",
        "giải quyết hồ sơ",
        "công chức",
        "phục vụ",
        "đi lại nhiều lần",
    ],
    "kinh_te_tai_chinh": [
        "chợ",
        "thuế",
        "thu phí",
        "lệ phí",
        "phí chợ",
        "mức phí",
        "các khoản phí",
        "ngân sách",
        "đóng góp",
        "thu chi",
        "giá cả",
        "doanh nghiệp",
        "kinh doanh",
        "tiểu thương",
        "vốn vay",
        "cụm công nghiệp",
        "làng nghề",
        "hàng giả",
        "biên lai",
        "quỹ",
        "khoản thu",
        "kinh phí",
        "tài chính",
        "công khai thu chi",
    ],
    "van_hoa_the_thao": [
        "nhà văn hóa",
        "văn hóa",
        "thể thao",
        "lễ hội",
        "sân chơi",
        "bóng đá",
        "bóng chuyền",
        "văn nghệ",
        "đình làng",
        "chùa",
        "di tích",
        "việc cưới",
        "việc tang",
        "đám cưới",
        "đám ma",
        "câu lạc bộ",
        "thư viện",
        "nếp sống văn minh",
        "gia đình văn hóa",
        "dạy bơi",
    ],
    "xay_dung_dang": [
        "đảng viên",
        "chi bộ",
        "xây dựng đảng",
        "sinh hoạt chi bộ",
        "cấp ủy",
        "phát triển đảng",
        "kiểm tra giám sát đảng",
        "bí thư chi bộ",
        "tổ chức đảng",
        "gương mẫu",
    ],
    "khac": [
        "hội nghị đối thoại",
        "hội nghị tiếp xúc",
        "họp thôn",
        "tên đường",
        "số nhà",
        "giấy mời",
        "đăng ký phát biểu",
        "đối thoại trực tuyến",
        "lịch họp",
    ],
}

# Kinds: cues an officer can read, and that keep the recall of diversions high.
COMPLAINT_TERMS = [
    "khiếu nại",
    "đơn khiếu nại",
    "xem xét lại quyết định",
    "hủy quyết định",
    "không đồng ý với quyết định",
    "không đồng ý với mức bồi thường",
    "không nhất trí",
    "quyết định số",
    "qđ-ubnd",
    "xử phạt tôi",
    "phạt tôi",
    "cưỡng chế",
    "bình xét lại",
    "đề nghị xem xét lại",
    "trả lại sai quy định",
    "không đúng quy định",
    "trái pháp luật",
    "gạch tên",
    "cắt trợ cấp",
    "bị từ chối",
    "hoàn trả",
]
PERSONAL_TERMS = ["gia đình tôi", "nhà tôi", "của tôi", "đối với tôi", "mẹ tôi", "bố tôi",
                  "con tôi", "cho tôi", "của gia đình"]  # fmt: skip
DENUNCIATION_TERMS = [
    "tố cáo",
    "tố giác",
    "nhận tiền",
    "nhận hối lộ",
    "hối lộ",
    "tham ô",
    "ăn chặn",
    "ăn bớt",
    "chiếm đoạt",
    "bảo kê",
    "vòi tiền",
    "đòi tiền",
    "đút lót",
    "lập danh sách khống",
    "làm giả hồ sơ",
    "chiếm đất công",
    "lợi dụng chức vụ",
    "trái thẩm quyền",
    "ăn bẩn",
    "bán thuốc cấp miễn phí",
    "tiêu riêng",
    "chia nhau",
    "không có biên lai",
]
# Who a denunciation names: an official by role, or a person ("ông X").
OFFICIAL_TERMS = [
    "cán bộ",
    "trưởng thôn",
    "chủ tịch",
    "phó chủ tịch",
    "hiệu trưởng",
    "kế toán",
    "công an viên",
    "bí thư",
    "trưởng ban",
    "chủ nhiệm",
    "trưởng trạm",
    "ông",
    "chủ trại",
    "địa chính",
    "công chức",
    "lãnh đạo xã",
    "ban quản lý",
]
ABUSE_TERMS = [
    "ngu",
    "đồ ngu",
    "khốn nạn",
    "mất dạy",
    "đồ chó",
    "con chó",
    "thằng",
    "đm",
    "đmm",
    "vl",
    "vãi",
    "cút",
    "lũ ăn hại",
    "thối nát",
    "đồ lừa đảo",
    "tao sẽ",
    "mày",
    "bọn mày",
    "chúng mày",
    "sâu mọt",
    "như cứt",
    "như hạch",
]
SPAM_TERMS = [
    "liên hệ ngay", "giá rẻ", "khuyến mãi", "click", "link", "vay tiền nhanh",
    "tuyển cộng tác viên", "sim số đẹp", "nhận làm bằng", "quảng cáo", "zalo",
]  # fmt: skip


@dataclass(frozen=True)
class Cues:
    """What the lexicon found in one message: field -> terms, kind -> terms."""

    fields: dict[str, list[str]]
    kinds: dict[str, list[str]]


_KIND_GROUPS: dict[str, list[str]] = {
    "khieu_nai": COMPLAINT_TERMS,
    "personal": PERSONAL_TERMS,
    "to_cao": DENUNCIATION_TERMS,
    "official": OFFICIAL_TERMS,
    "abuse": ABUSE_TERMS,
    "spam": SPAM_TERMS,
}


Index = dict[tuple[str, ...], list[tuple[str, str, str]]]


@lru_cache(maxsize=1)
def _index() -> tuple[Index, Index, dict[str, list[int]]]:
    """Lookups from word sequences to (group, name, term): one for the words as typed, one
    for the words without diacritics, and for each word that can start a term, the lengths
    of those terms. Only terms of two or more syllables are looked up without diacritics
    (folded, "đê" would be "đề" and "đình" part of "gia đình"), and insults never are
    ("ngủ" folds to "ngu")."""
    accented: Index = {}
    folded: Index = {}
    starts: dict[str, set[int]] = {}
    groups = [("field", name, terms) for name, terms in FIELD_TERMS.items()]
    groups += [("kind", name, terms) for name, terms in _KIND_GROUPS.items()]
    for group, name, terms in groups:
        for term in terms:
            words = tuple(term.split())
            accented.setdefault(words, []).append((group, name, term))
            starts.setdefault(words[0], set()).add(len(words))
            if len(words) > 1 and name != "abuse":
                plain = tuple(fold(term).split())
                folded.setdefault(plain, []).append((group, name, term))
                starts.setdefault(plain[0], set()).add(len(plain))
    return accented, folded, {w: sorted(n) for w, n in starts.items()}


def scan(accented: str, folded: str) -> Cues:
    """Every cue in a message (as `prepare` gives it), in one pass over its words."""
    by_words, by_folded, starts = _index()
    found: dict[tuple[str, str], set[str]] = {}
    typed_without_accents = accented == folded
    for words, index in ((accented.split(), by_words), (folded.split(), by_folded)):
        for i, word in enumerate(words):
            for n in starts.get(word, ()):
                for group, name, term in index.get(tuple(words[i : i + n]), ()):
                    if name == "abuse" and typed_without_accents:
                        continue
                    found.setdefault((group, name), set()).add(term)
    fields = {n: sorted(t) for (g, n), t in found.items() if g == "field"}
    kinds = {n: sorted(t) for (g, n), t in found.items() if g == "kind"}
    return Cues(fields, kinds)


def with_cues(accented: str, folded: str, cues: Cues | None = None) -> str:
    """The model's input: the words, then one `cue_<name>` word per cue term found."""
    cues = cues or scan(accented, folded)
    text = f"{accented} {folded}" if accented != folded else accented
    extra = [f"cue_{name}" for group in (cues.fields, cues.kinds)
             for name, terms in group.items() for _ in terms]  # fmt: skip
    return f"{text} {' '.join(extra)}" if extra else text
