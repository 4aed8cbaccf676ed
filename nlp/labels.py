"""The label codes (stable: other tools depend on them) and their Vietnamese names."""

FIELDS: dict[str, str] = {
    "dat_dai": "Đất đai",
    "moi_truong": "Môi trường, vệ sinh",
    "giao_thong": "Giao thông, hạ tầng đường sá",
    "y_te": "Y tế",
    "giao_duc": "Giáo dục",
    "an_ninh_trat_tu": "An ninh, trật tự",
    "quoc_phong": "Quốc phòng, quân sự",
    "chinh_sach_xa_hoi": "Chính sách xã hội, an sinh",
    "nong_nghiep": "Nông nghiệp, thủy lợi, nông thôn mới",
    "ha_tang_dien_nuoc": "Điện, nước sạch, chiếu sáng, viễn thông",
    "hanh_chinh": "Thủ tục hành chính, trách nhiệm cán bộ",
    "kinh_te_tai_chinh": "Kinh tế, tài chính, ngân sách",
    "van_hoa_the_thao": "Văn hóa, thể thao",
    "xay_dung_dang": "Xây dựng Đảng",
    "khac": "Khác",
}
KINDS: dict[str, str] = {
    "kien_nghi": "Kiến nghị, phản ánh",
    "khieu_nai": "Khiếu nại",
    "to_cao": "Tố cáo",
    "spam": "Quảng cáo, không liên quan",
    "abuse": "Lời lẽ xúc phạm",
}
DIVERTED = frozenset({"khieu_nai", "to_cao"})  # to the citizen-reception process
SCREENED_OUT = frozenset({"spam", "abuse"})  # not for the agenda at all
