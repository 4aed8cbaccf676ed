"""Everything the bot says to residents, in Vietnamese, in one place.

Texts use a small HTML subset (<b>, <i>, <code>) that Telegram renders and the other channels
turn into plain text. Values that come from people are always passed through `esc`.
"""

from __future__ import annotations

import html
from datetime import datetime

from bot.clock import to_local
from bot.model import OpinionState


def esc(value: object) -> str:
    return html.escape(str(value), quote=False)


WEEKDAYS = ("Thứ Hai", "Thứ Ba", "Thứ Tư", "Thứ Năm", "Thứ Sáu", "Thứ Bảy", "Chủ nhật")


def when_text(moment: datetime) -> str:
    local = to_local(moment)
    return f"{local:%H:%M}, {WEEKDAYS[local.weekday()]} {local:%d/%m/%Y}"


def date_text(moment: datetime) -> str:
    return f"{to_local(moment):%d/%m/%Y}"


WELCOME = (
    "Xin chào Ông/Bà! Đây là kênh tiếp nhận ý kiến, kiến nghị của Nhân dân gửi tới "
    "<b>hội nghị tiếp xúc, đối thoại</b> giữa người đứng đầu cấp ủy, chính quyền xã/phường "
    "với Nhân dân.\n\n"
    "Qua kênh này, Ông/Bà có thể:\n"
    "• gửi ý kiến, kiến nghị trước hạn chót của mỗi kỳ đối thoại;\n"
    "• theo dõi tình trạng xử lý ý kiến của mình;\n"
    "• nhận câu trả lời của cơ quan chuyên môn ngay trên điện thoại.\n\n"
    "Nếu Ông/Bà đã đăng ký qua Telegram hoặc Zalo, xin gõ /lienket để dùng chung hồ sơ "
    "thay vì đăng ký lại."
)

CONSENT = (
    "<b>Thông báo về bảo vệ dữ liệu cá nhân</b>\n"
    "Để tiếp nhận và trả lời ý kiến, hệ thống cần lưu họ tên, thôn/xóm/tổ dân phố, số điện "
    "thoại (nếu Ông/Bà cung cấp) và nội dung ý kiến. Dữ liệu chỉ dùng cho việc tổ chức đối "
    "thoại, do Ủy ban MTTQ và UBND xã/phường quản lý, không chia sẻ cho mục đích khác, theo "
    "Luật Bảo vệ dữ liệu cá nhân năm 2025. Ông/Bà có thể xóa dữ liệu cá nhân bất cứ lúc nào "
    "bằng lệnh /delete_me.\n\n"
    "Ông/Bà có đồng ý để hệ thống lưu các thông tin trên không?"
)
CONSENT_YES = "Tôi đồng ý"
CONSENT_NO = "Không đồng ý"
CONSENT_DECLINED = (
    "Hệ thống không lưu thông tin của Ông/Bà. Ông/Bà vẫn có thể gửi ý kiến trực tiếp qua "
    "Ban Công tác Mặt trận thôn/xóm hoặc bộ phận tiếp dân của xã/phường. "
    "Khi cần, Ông/Bà gõ /start để bắt đầu lại."
)

ASK_NAME = "Xin Ông/Bà cho biết <b>họ và tên</b> (ví dụ: Nguyễn Văn An)."
NAME_EMPTY = "Họ và tên không được để trống. Xin Ông/Bà nhập lại họ và tên."
NAME_INVALID = (
    "Họ và tên chỉ gồm chữ cái và khoảng trắng, tối đa 80 ký tự. Xin Ông/Bà nhập lại "
    "(ví dụ: Nguyễn Văn An)."
)
NAME_TOO_SHORT = "Xin Ông/Bà nhập đầy đủ cả họ và tên (ví dụ: Nguyễn Văn An)."

ASK_COMMUNE = (
    "Ông/Bà đang sinh sống tại <b>xã/phường</b> nào? Xin gõ tên xã/phường "
    "(ví dụ: <i>Giao Minh</i>)."
)
COMMUNE_PICK = "Xin Ông/Bà chọn đúng xã/phường của mình:"
COMMUNE_NOT_FOUND = (
    "Không tìm thấy xã/phường «{query}» trong danh sách hệ thống đang phục vụ. Xin Ông/Bà gõ "
    "lại tên xã/phường (không cần gõ chữ «xã», «phường»)."
)
COMMUNE_NONE_CONFIGURED = (
    "Hệ thống chưa được cấu hình xã/phường nào để tiếp nhận ý kiến. Xin Ông/Bà vui lòng "
    "quay lại sau hoặc liên hệ UBND xã/phường."
)

ASK_VILLAGE = "Ông/Bà thuộc <b>thôn/xóm/tổ dân phố</b> nào của {commune}?"
ASK_VILLAGE_FREE = (
    "Ông/Bà thuộc <b>thôn/xóm/tổ dân phố</b> nào của {commune}? Xin gõ tên (ví dụ: <i>Xóm 5</i>)."
)
VILLAGE_INVALID = "Tên thôn/xóm/tổ dân phố không hợp lệ. Xin Ông/Bà gõ lại (tối đa 60 ký tự)."

ASK_PHONE = (
    "Ông/Bà có muốn để lại <b>số điện thoại</b> để cán bộ liên hệ khi cần không? "
    "Xin gõ số điện thoại, hoặc chọn «Bỏ qua»."
)
PHONE_INVALID = (
    "Số điện thoại chưa đúng định dạng (ví dụ: 0912 345 678 hoặc +84 912 345 678). "
    "Xin Ông/Bà gõ lại, hoặc chọn «Bỏ qua»."
)
SKIP = "Bỏ qua"

ASK_ORGANISATION = "Ông/Bà có tham gia tổ chức, đoàn thể nào không? (không bắt buộc)"

REGISTERED = (
    "Cảm ơn Ông/Bà <b>{name}</b>, việc đăng ký đã hoàn tất.\n"
    "Xã/phường: {commune}\nThôn/xóm/tổ dân phố: {village}\n\n"
    "Để gửi ý kiến, Ông/Bà chỉ cần <b>gõ nội dung ý kiến</b> và gửi (có thể kèm ảnh)."
)

MENU_HINT = (
    "Ông/Bà có thể:\n"
    "• gõ nội dung ý kiến, kiến nghị và gửi (có thể kèm ảnh);\n"
    "• /session: xem kỳ đối thoại sắp tới;\n"
    "• /my: xem các ý kiến đã gửi và tình trạng xử lý;\n"
    "• /help: hướng dẫn sử dụng."
)
MENU_SEND = "Gửi ý kiến"
MENU_MY = "Ý kiến của tôi"
MENU_SESSION = "Kỳ đối thoại tới"

HELP = (
    "<b>Hướng dẫn sử dụng</b>\n"
    "• Gửi ý kiến: gõ nội dung và gửi; có thể gửi ảnh kèm chú thích.\n"
    "• /session: thời gian, địa điểm, người chủ trì và hạn chót gửi ý kiến của kỳ đối thoại "
    "sắp tới.\n"
    "• /my: danh sách ý kiến đã gửi, tình trạng xử lý; sửa hoặc rút ý kiến trước hạn chót "
    "(hoặc gõ <code>/edit MÃ</code>, <code>/withdraw MÃ</code>).\n"
    "• /speak: đăng ký phát biểu tại hội nghị về ý kiến đã được đưa vào chương trình.\n"
    "• /lienket: dùng chung một hồ sơ trên Telegram và Zalo; /thongbao: chọn kênh nhận "
    "thông báo.\n"
    "• /cancel: hủy thao tác đang làm.\n"
    "• /delete_me: xóa dữ liệu cá nhân của Ông/Bà.\n\n"
    "Lưu ý: các nội dung <b>khiếu nại, tố cáo</b> không đưa ra tại hội nghị đối thoại mà được "
    "giải quyết theo quy trình tiếp công dân của xã/phường."
)

ASK_OPINION = "Xin Ông/Bà gõ nội dung ý kiến, kiến nghị và gửi (có thể kèm ảnh)."
OPINION_EMPTY = "Tin nhắn không có nội dung. Xin Ông/Bà gõ nội dung ý kiến, kiến nghị."
OPINION_TOO_LONG = (
    "Ý kiến dài quá {limit} ký tự nên chưa được ghi nhận thành ý kiến (tin nhắn vẫn được lưu). "
    "Xin Ông/Bà rút gọn hoặc chia thành nhiều ý kiến ngắn hơn."
)
OPINION_TOO_SHORT = (
    "Nội dung quá ngắn để ghi nhận thành một ý kiến. Xin Ông/Bà viết rõ vấn đề, địa điểm và "
    "đề nghị (ví dụ: <i>Đề nghị sửa đoạn đường liên thôn từ xóm 3 đến xóm 5 bị sụt lún</i>)."
)
OPINION_RECEIVED = (
    "Đã tiếp nhận ý kiến của Ông/Bà. Mã ý kiến: <code>{code}</code>\n"
    "«{preview}»\n\n{where}\n"
    "Ông/Bà có thể sửa hoặc rút ý kiến trước hạn chót."
)
OPINION_DIVERTED = (
    "Đã nhận nội dung của Ông/Bà. Mã: <code>{code}</code>\n«{preview}»\n\n"
    "Nội dung này có tính chất <b>{kind}</b>. Theo quy định, các nội dung khiếu nại, tố cáo "
    "không đưa ra tại hội nghị đối thoại mà được giải quyết theo quy trình tiếp công dân "
    "(Luật Khiếu nại năm 2011, Luật Tố cáo năm 2018). Xin Ông/Bà gửi đơn hoặc đến trực tiếp: "
    "{reception}.\n\nNội dung vẫn được lưu lại; cán bộ Mặt trận sẽ xem xét, nếu là kiến nghị "
    "chung thì sẽ đưa vào chương trình hội nghị."
)
RECEPTION_DEFAULT = (
    "Bộ phận tiếp công dân của UBND {commune}, trong giờ hành chính các ngày làm việc"
)
OPINION_SCREENED_OUT = {
    "spam": (
        "Tin nhắn của Ông/Bà (mã <code>{code}</code>) có vẻ không phải là ý kiến, kiến nghị "
        "gửi hội nghị đối thoại nên chưa được đưa vào chương trình. Nếu đây là ý kiến, xin "
        "Ông/Bà viết rõ vấn đề và đề nghị; cán bộ Mặt trận cũng sẽ xem lại."
    ),
    "abuse": (
        "Ý kiến của Ông/Bà (mã <code>{code}</code>) có lời lẽ chưa phù hợp nên chưa thể đưa ra "
        "hội nghị. Xin Ông/Bà diễn đạt lại nội dung kiến nghị một cách ôn hòa để được xem xét; "
        "cán bộ Mặt trận cũng sẽ xem lại."
    ),
}
OPINION_FOR_SESSION = (
    "Ý kiến được chuyển tới kỳ đối thoại ngày <b>{date}</b> (hạn chót gửi ý kiến: {cutoff})."
)
OPINION_NO_SESSION = (
    "Hiện chưa có kỳ đối thoại nào đang nhận ý kiến; ý kiến được lưu và chuyển tới kỳ "
    "đối thoại tiếp theo của {commune}."
)
PHOTO_NEEDS_CAPTION = (
    "Hệ thống đã nhận ảnh. Xin Ông/Bà gõ thêm nội dung mô tả vấn đề để ghi nhận ý kiến kèm ảnh này."
)
EDIT = "Sửa"
WITHDRAW = "Rút ý kiến"

UNSUPPORTED = (
    "Hệ thống chỉ nhận tin nhắn chữ hoặc ảnh (kèm chú thích). Xin Ông/Bà gõ nội dung ý kiến."
)
UNKNOWN_COMMAND = "Lệnh «{command}» không có trong hệ thống. Gõ /help để xem các lệnh."
FLOOD = (
    "Ông/Bà đang gửi tin nhắn quá nhanh. Hệ thống vẫn lưu đầy đủ các tin nhắn đã gửi; "
    "xin đợi ít phút rồi gõ /my để xem lại."
)
STALE_CHOICE = (
    "Lựa chọn này đã hết hiệu lực. Xin Ông/Bà làm theo hướng dẫn trong tin nhắn mới nhất."
)
FINISH_REGISTRATION_FIRST = (
    "Xin Ông/Bà hoàn tất đăng ký trước (hoặc gõ /cancel để hủy, /start để bắt đầu lại)."
)
NOT_REGISTERED = "Ông/Bà chưa đăng ký. Gõ /start để bắt đầu."
CANCELLED = "Đã hủy thao tác."
INTERNAL_ERROR = (
    "Xin lỗi Ông/Bà, hệ thống gặp sự cố khi xử lý tin nhắn này. Tin nhắn đã được lưu lại để "
    "cán bộ kiểm tra. Xin Ông/Bà thử lại sau ít phút."
)
NOTHING_TO_CANCEL = "Không có thao tác nào đang thực hiện."
REGISTRATION_CANCELLED = "Đã hủy đăng ký. Khi cần, Ông/Bà gõ /start để bắt đầu lại."
WELCOME_BACK = "Chào mừng Ông/Bà <b>{name}</b> quay lại."

SESSION_INFO = (
    "<b>{title}</b>\n"
    "• Thời gian: {when}\n"
    "• Địa điểm: {place}\n"
    "• Chủ trì: {chair}\n"
    "• Hạn chót gửi ý kiến: <b>{cutoff}</b>{fields}"
)
SESSION_FIELDS = "\n• Nội dung trọng tâm: {fields}"
SESSION_CLOSED_NOTE = "\n\nĐã hết hạn gửi ý kiến cho kỳ này; ý kiến mới được chuyển tới kỳ sau."
NO_SESSION = (
    "{commune} chưa có lịch kỳ đối thoại sắp tới. Ông/Bà vẫn có thể gửi ý kiến; ý kiến được "
    "chuyển tới kỳ đối thoại tiếp theo."
)

MY_HEADER = "<b>Ý kiến của Ông/Bà</b> ({count}):"
MY_EMPTY = "Ông/Bà chưa gửi ý kiến nào. Gõ nội dung ý kiến và gửi để bắt đầu."
MY_ITEM = "\n\n<code>{code}</code> · {date} · <b>{state}</b>\n{preview}"
MY_MERGED = "Đã gộp vào {code} · {state}"
MY_MORE = "\n\n(Hiển thị {shown} ý kiến gần nhất.)"
ASK_CODE = (
    "Xin gõ kèm mã ý kiến, ví dụ: <code>/{command} YK-7K3M9Q</code> (gõ /my để xem mã các "
    "ý kiến của Ông/Bà)."
)
NOT_YOUR_OPINION = "Không tìm thấy ý kiến {code} trong các ý kiến của Ông/Bà."
ASK_EDIT = "Xin gõ nội dung mới cho ý kiến <code>{code}</code> (nội dung cũ vẫn được lưu lại):"
EDITED = "Đã cập nhật ý kiến <code>{code}</code>."
CONFIRM_WITHDRAW = "Ông/Bà có chắc muốn rút ý kiến <code>{code}</code>?\n«{preview}»"
WITHDRAW_YES = "Rút ý kiến"
KEEP = "Giữ lại"
WITHDRAWN = "Đã rút ý kiến <code>{code}</code>. Ý kiến sẽ không được đưa ra hội nghị."
KEPT = "Ý kiến <code>{code}</code> được giữ nguyên."
CUTOFF_PASSED = (
    "Đã hết hạn chót gửi ý kiến của kỳ đối thoại nên không thể sửa hoặc rút ý kiến "
    "<code>{code}</code>."
)
NOT_EDITABLE = (
    "Ý kiến <code>{code}</code> đang ở tình trạng «{state}» nên không thể sửa hoặc rút nữa."
)

CONFIRM_DELETE = (
    "Ông/Bà có chắc muốn <b>xóa dữ liệu cá nhân</b> (họ tên, số điện thoại, thôn/xóm, "
    "tổ chức)? Các ý kiến đã gửi vẫn được giữ lại nhưng không còn gắn với tên Ông/Bà, và "
    "Ông/Bà sẽ không nhận được câu trả lời qua kênh này nữa."
)
DELETE_YES = "Xóa dữ liệu của tôi"
DELETED = (
    "Đã xóa dữ liệu cá nhân của Ông/Bà. Cảm ơn Ông/Bà đã tham gia. Khi cần, gõ /start để "
    "đăng ký lại."
)
DELETE_KEPT = "Dữ liệu của Ông/Bà được giữ nguyên."
CONFIRM_HINT = (
    "Xin Ông/Bà bấm một nút bên dưới, hoặc gõ «đồng ý» hay «không» (gõ /huy để thôi)."
)
CHOICE_EXPECTED = (
    "<i>Xin Ông/Bà bấm một nút bên dưới, hoặc gõ số thứ tự của lựa chọn (từ 1 đến {count}), "
    "hoặc gõ chữ của lựa chọn, có dấu hay không dấu đều được (ví dụ: «{example}»).</i>"
)
CONSENT_HINT = (
    "Xin Ông/Bà bấm nút «Tôi đồng ý» (hoặc gõ «đồng ý») để đăng ký, hoặc «Không đồng ý». "
    "Nội dung Ông/Bà vừa nhắn đã được ghi lại; sau khi đăng ký, Ông/Bà có thể gửi nội dung "
    "đó thành ý kiến."
)
FIRST_OFFER = (
    "Trước khi đăng ký, Ông/Bà đã nhắn:\n«{preview}»\n"
    "Ông/Bà có muốn gửi nội dung này thành ý kiến không?"
)
FIRST_SEND = "📨 Gửi thành ý kiến"
FIRST_SKIP = "Không gửi"
FIRST_SKIPPED = (
    "Nội dung đó không được gửi thành ý kiến. Khi cần, Ông/Bà cứ nhắn ý kiến cho chúng tôi."
)
BURST_CARD = (
    "📦 <b>{count} tin nhắn liên tiếp</b> từ một cử tri ({who}), {first}–{last}, đã được "
    "ghi nhận riêng từng ý kiến:"
)
BURST_MORE = "… và {more} ý kiến khác."
BURST_HINT = "Xem và xử lý từng ý kiến bằng /queue hoặc /history YK-…"
GROUP_NEW_HEAD = (
    "Ý kiến đứng đầu nhóm gộp <code>{old}</code> không còn trong chương trình; "
    "<code>{new}</code> nay đứng đầu nhóm ({count} ý kiến gộp vào) và chờ xem xét."
)
OFFICER_GROUP_ONLY = (
    "Lệnh của cán bộ chỉ dùng trong tin nhắn riêng với bot hoặc trong nhóm Mặt trận đã đăng ký."
)

STATE_NAMES: dict[OpinionState, str] = {
    OpinionState.RECEIVED: "Đã tiếp nhận",
    OpinionState.SCREENED: "Đã phân loại",
    OpinionState.PENDING_REVIEW: "Chờ Mặt trận xem xét",
    OpinionState.APPROVED: "Đưa vào chương trình đối thoại",
    OpinionState.DIVERTED: "Chuyển quy trình tiếp công dân",
    OpinionState.REJECTED: "Không đưa ra hội nghị",
    OpinionState.MERGED: "Gộp với ý kiến cùng nội dung",
    OpinionState.ASSIGNED: "Đã giao cơ quan chuyên môn",
    OpinionState.ANSWERED: "Đã có câu trả lời",
    OpinionState.DELIVERED: "Đã gửi câu trả lời",
    OpinionState.CLOSED: "Đã kết thúc",
    OpinionState.WITHDRAWN: "Đã rút",
}

OFFICER_COMMANDS = {
    "queue", "stats", "history", "join", "answer", "overdue", "record",
    "newsession", "sessions", "broadcasts", "speakers", "conclude", "postpone",
}  # fmt: skip
COMMANDS: dict[str, str] = {
    "start": "Bắt đầu / đăng ký",
    "session": "Kỳ đối thoại sắp tới",
    "my": "Ý kiến của tôi",
    "speak": "Đăng ký phát biểu tại hội nghị",
    "help": "Hướng dẫn sử dụng",
    "lienket": "Dùng chung hồ sơ trên Telegram và Zalo",
    "thongbao": "Chọn kênh nhận thông báo",
    "cancel": "Hủy thao tác đang làm",
    "delete_me": "Xóa dữ liệu cá nhân",
}

# -- officers ---------------------------------------------------------------------------------
ORGANISATION_SHORT = {
    "cuu_chien_binh": "Hội CCB", "phu_nu": "Hội Phụ nữ", "nong_dan": "Hội Nông dân",
    "thanh_nien": "Đoàn Thanh niên", "nguoi_cao_tuoi": "Hội NCT", "none": "",
}  # fmt: skip
NOT_ALLOWED = "Ông/Bà không có quyền thực hiện thao tác này."
NOT_IN_QUEUE = "Ý kiến <code>{code}</code> đang ở tình trạng «{state}», không còn xử lý ở hàng chờ."
ALREADY_HANDLED = (
    "Ý kiến <code>{code}</code> vừa được {by} xử lý (hiện: «{state}»). Thẻ đã được cập nhật:"
)
NO_CHANGE = "Không có gì thay đổi."
NOTHING_TO_MERGE = "Không có ý kiến tương tự trong cùng kỳ đối thoại để gộp."
NOTHING_TO_UNDO = "Không có thao tác nào của Ông/Bà trên ý kiến này trong 5 phút qua để hoàn tác."
QUEUE_EMPTY = "Không có ý kiến nào đang chờ xem xét."
QUEUE_HEADER = "<b>Ý kiến chờ xem xét</b>: {total} (hiển thị {first}–{last}, cũ nhất trước)"
QUEUE_MORE = "Còn ý kiến đang chờ."
QUEUE_FILTERS = (
    "Không có ý kiến chờ xem xét khớp bộ lọc. Lọc theo lĩnh vực: /queue MÃ_LĨNH_VỰC ({fields});"
    " theo thôn/xóm: /queue Xóm 3; chưa chắc chắn: /queue unsure."
)
HISTORY_NOT_FOUND = "Không tìm thấy ý kiến này trong phạm vi Ông/Bà phụ trách. Gõ: /history YK-…"
JOINED = "Đã ghi nhận Ông/Bà với vai trò <b>{role}</b>{where}. Gõ /queue để xem ý kiến chờ xem xét."
JOIN_INVALID = "Mã mời không đúng, đã dùng hoặc đã hết hạn. Xin liên hệ quản trị hệ thống."
JOIN_USAGE = "Xin gõ kèm mã mời, ví dụ: <code>/join MT-ABCD2345</code>."
RESIDENT_APPROVED = (
    "Ý kiến <code>{code}</code> của Ông/Bà đã được đưa vào chương trình hội nghị đối thoại và "
    "chuyển cơ quan chuyên môn chuẩn bị trả lời."
)
RESIDENT_DIVERTED = (
    "Ý kiến <code>{code}</code> được cán bộ Mặt trận xác định có tính chất <b>{kind}</b> nên "
    "không đưa ra tại hội nghị đối thoại mà giải quyết theo quy trình tiếp công dân. Xin "
    "Ông/Bà gửi đơn hoặc đến trực tiếp: {reception}."
)
RESIDENT_REJECTED = (
    "Ý kiến <code>{code}</code> chưa được đưa ra hội nghị đối thoại. Lý do: {reason}. "
    "Ông/Bà có thể gửi lại ý kiến với nội dung cụ thể hơn."
)
RESIDENT_MERGED = (
    "Ý kiến <code>{code}</code> của Ông/Bà có cùng nội dung với ý kiến <code>{target}</code> "
    "nên được gộp lại để trả lời chung; Ông/Bà sẽ nhận được câu trả lời khi có."
)

# -- departments' answers ----------------------------------------------------------------------
DEPARTMENT_CARD = (
    "<b>{code}</b> · giao {department}\nLĩnh vực: {field}\n{who}\n«{text}»\n"
    "Hạn trả lời: <b>{due}</b> (ngày làm việc). Chọn hình thức trả lời:"
)
EXTEND_BUTTON = "⏳ Xin gia hạn"
ASK_EXTEND_DUE = (
    "Ý kiến <code>{code}</code> (hạn {due}): xin gõ <b>ngày hạn mới</b> đề nghị (dd/mm/yyyy, "
    "tối đa 30 ngày sau hạn hiện tại):"
)
ASK_EXTEND_REASON = "Xin gõ lý do xin gia hạn (Mặt trận sẽ đọc được):"
EXTEND_RANGE = "Ngày hạn mới phải sau {due} và không quá {limit}. Xin gõ lại:"
EXTEND_ASKED = "Đã gửi đề nghị gia hạn <code>{code}</code> tới Ủy ban MTTQ xem xét."
EXTEND_CARD = (
    "⏳ <b>{department}</b> xin gia hạn trả lời <code>{code}</code> từ {due} đến <b>{until}</b>."
    "\nLý do: {reason}"
)
EXTEND_OK = "✅ Đồng ý gia hạn"
EXTEND_NO = "✖ Không đồng ý"
EXTEND_DONE_BEFORE = "Đề nghị gia hạn <code>{code}</code> đã được xử lý hoặc không còn hiệu lực."
EXTEND_REFUSED = (
    "Ủy ban MTTQ không đồng ý gia hạn <code>{code}</code>; hạn trả lời vẫn là {due}."
)
EXTEND_REFUSED_SAID = "Đã báo đơn vị: không gia hạn <code>{code}</code>."
EXTEND_GRANTED = "Ý kiến <code>{code}</code> được gia hạn trả lời đến <b>{until}</b>."
EXTEND_GRANTED_SAID = "Đã gia hạn <code>{code}</code> đến {until}; cử tri đã được báo."
EXTEND_RESIDENT = (
    "Ý kiến <code>{code}</code> của Ông/Bà cần thêm thời gian xem xét, giải quyết; đơn vị "
    "sẽ trả lời trước ngày <b>{until}</b>."
)
ASK_ANSWER = "Xin gõ nội dung trả lời cho <code>{code}</code> ({mode}):"
ANSWER_NEEDS_DATE = "Xin gõ kèm ngày theo dạng dd/mm/yyyy (ví dụ 15/01/2027). Gõ lại nội dung:"
ANSWER_PUBLISHED = "Đã gửi câu trả lời <code>{code}</code> tới cử tri."
ANSWER_KEPT_IN_FILE = "cử tri không còn nhận được tin nhắn; câu trả lời được lưu vào hồ sơ"
ANSWER_UNREACHED = (
    "Lưu ý: {codes} — cử tri đã xóa dữ liệu hoặc không còn nhận tin nhắn; câu trả lời được "
    "lưu vào hồ sơ."
)
ANSWER_BUTTON = "✍️ Trả lời"
ANSWER_USAGE = (
    "Xin gõ kèm mã ý kiến cần trả lời, ví dụ: <code>/answer YK-7K3M9Q</code> "
    "(gõ /overdue để xem các ý kiến quá hạn)."
)
ANSWER_UNKNOWN = "Không tìm thấy ý kiến «{code}». Xin kiểm tra lại mã ý kiến."
ANSWER_NOT_OPEN = (
    "Ý kiến <code>{code}</code> đang ở tình trạng «{state}» nên không cần trả lời nữa."
)
ANSWER_MOVED = (
    "Ý kiến <code>{code}</code> đã được giao lại cho {department}; câu trả lời của đơn vị "
    "không được gửi. Xin liên hệ Ủy ban MTTQ nếu cần."
)
ASSIGNMENT_MOVED = (
    "Ý kiến <code>{code}</code> đã được chuyển sang {department}; đơn vị không cần trả lời nữa."
)
NO_DEPARTMENT_OFFICER = (
    "⚠ {department} chưa có cán bộ nào nhận ý kiến qua bot: xin quản trị viên thêm cán bộ "
    "(doithoai admin add-officer … --department {code}), hoặc giao cho đơn vị khác."
)
OFFICER_HELP = (
    "Ông/Bà đang dùng bot với vai trò cán bộ ({roles}). Các lệnh: /queue, /stats, "
    "/history YK-…, /answer YK-…, /overdue, /record, /sessions, /newsession, /cancel. "
    "Gõ /start nếu muốn đăng ký gửi ý kiến như một cử tri."
)
ANSWER_SENT_FOR_REVIEW = (
    "Câu trả lời <code>{code}</code> đã chuyển Mặt trận/Văn phòng duyệt trước khi gửi."
)
ANSWER_ALREADY_REVIEWED = "Câu trả lời <code>{code}</code> đã được duyệt hoặc trả lại trước đó."
ANSWER_RETURNED = (
    "Câu trả lời <code>{code}</code> được trả lại để hoàn thiện.\nLý do: {reason}\n"
    "Xin bấm «Trả lời lại» khi đã sẵn sàng."
)
ANSWER_RETURNED_SAID = "Đã trả lại câu trả lời <code>{code}</code> cho đơn vị, kèm lý do."
ANSWER_AGAIN = "✍️ Trả lời lại"
ASK_RETURN_REASON = "Xin gõ lý do trả lại câu trả lời <code>{code}</code> (đơn vị sẽ đọc được):"
ANSWER_PENDING_EXISTS = (
    "Ý kiến <code>{code}</code> đã có một câu trả lời đang chờ duyệt; xin đợi kết quả duyệt."
)
ASK_FORWARDED_BODY = (
    "Ý kiến <code>{code}</code> vượt thẩm quyền: xin gõ tên <b>cơ quan cấp trên</b> tiếp nhận "
    "giải quyết:"
)
ASK_FORWARDED_DUE = (
    "Cơ quan {body} <b>dự kiến giải quyết trước ngày</b> nào? (dd/mm/yyyy, một ngày sắp tới)"
)
ASK_ANSWER_DUE = (
    "Ý kiến <code>{code}</code> đang giải quyết: <b>dự kiến xong trước ngày</b> nào? "
    "(dd/mm/yyyy, một ngày sắp tới)"
)
ANSWER_DUE_INVALID = "Xin gõ một ngày sắp tới theo dạng dd/mm/yyyy (ví dụ 15/01/2027)."
DRAFT_SEND = "📤 Gửi"
DRAFT_EDIT = "✏️ Sửa"
DRAFT_CANCEL = "✖ Hủy"
DRAFT_PREVIEW = (
    "<b>Bản nháp trả lời {code}</b> ({parts} tin nhắn, {chars} ký tự){extra}\n«{text}»\n\n"
    "Có thể gõ tiếp để bổ sung. Bấm «Gửi» để gửi tới cử tri, «Sửa» để viết lại, «Hủy» để bỏ."
)
DRAFT_FORWARDED = "\nChuyển: {body}"
DRAFT_FILES = "\nKèm theo: {count} tệp"
FILES_ELSEWHERE = (
    "(Kèm theo câu trả lời có {count} tệp (văn bản, ảnh) không gửi được qua kênh này; "
    "Ông/Bà có thể nhận bản sao tại bộ phận Một cửa UBND xã/phường.)"
)
DRAFT_DUE = "\nDự kiến trước ngày: {due}"
DRAFT_EMPTY = "Bản nháp trả lời <code>{code}</code> chưa có nội dung. Xin gõ nội dung trả lời."
DRAFT_RESTART = "Đã xóa bản nháp <code>{code}</code>. Xin gõ lại nội dung trả lời:"
DRAFT_CANCELLED = "Đã hủy bản nháp trả lời <code>{code}</code>; chưa có gì được gửi."
DRAFT_EXPIRED = (
    "Bản nháp trả lời <code>{code}</code> đã quá 30 phút không được gửi nên đã đóng; chưa có gì "
    "được gửi. Bấm nút trả lời trên thẻ để bắt đầu lại."
)
DRAFT_CLOSED = "Bản nháp trả lời <code>{code}</code> đã đóng, chưa được gửi."
DRAFT_STILL_OPEN = (
    "Bản nháp trả lời <code>{code}</code> vẫn đang mở: gõ tiếp để bổ sung, hoặc bấm Gửi/Hủy."
)
DRAFT_KEPT = "Nội dung Ông/Bà đã soạn (chưa gửi):\n«{text}»"
ANSWERED_BY_OTHER = (
    "Ý kiến <code>{code}</code> đã được {by} trả lời trước (tình trạng: {state}); câu trả lời của "
    "Ông/Bà không được gửi."
)
ANSWER_NOT_ASSIGNED = "Ý kiến <code>{code}</code> chưa được giao cho đơn vị nên chưa thể trả lời."
REVIEW_CARD = (
    "<b>Duyệt câu trả lời {code}</b> ({department}, {mode})\nÝ kiến: «{opinion}»\n"
    "Trả lời: «{answer}»"
)
RESIDENT_ANSWER = (
    "<b>Trả lời ý kiến {code}</b>\nĐơn vị: {department}\nHình thức: {mode}\n\n{answer}{details}"
)
ANSWER_FORWARDED_DETAIL = (
    "\n\nNội dung vượt thẩm quyền của xã/phường, đã chuyển <b>{body}</b> giải quyết, "
    "dự kiến trước ngày {by}."
)
ANSWER_IN_PROGRESS_DETAIL = "\n\nDự kiến giải quyết xong trước ngày {by}."
SATISFACTION_ALREADY = "Ông/Bà đã cho biết ý kiến về câu trả lời <code>{code}</code>. Xin cảm ơn."
THANKS_SATISFIED = "Cảm ơn Ông/Bà đã phản hồi về câu trả lời <code>{code}</code>."
ASK_UNSATISFIED = (
    "Xin Ông/Bà cho biết vì sao chưa hài lòng với câu trả lời <code>{code}</code> (không bắt buộc):"
)
THANKS_UNSATISFIED = (
    "Đã ghi nhận Ông/Bà chưa hài lòng với câu trả lời <code>{code}</code>. Mặt trận sẽ theo dõi, "
    "giám sát việc giải quyết và thông báo lại."
)
FRONT_SATISFIED_AFTER_ALL = (
    "Cử tri đã đổi ý: <b>hài lòng</b> với câu trả lời <code>{code}</code>; ý kiến được đóng lại."
)
RATE_OR_NEW = (
    "Đây là đánh giá của Ông/Bà về câu trả lời <code>{code}</code>, hay là một ý kiến mới?"
)
RATE_UNSATISFIED = "Đánh giá: chưa hài lòng"
RATE_NEW_OPINION = "Gửi thành ý kiến mới"
FRONT_UNSATISFIED = "⚠ Cử tri chưa hài lòng với câu trả lời <code>{code}</code>: «{comment}»"
DEADLINE_REMINDER = "⏰ Còn {left} ngày làm việc đến hạn trả lời <code>{code}</code> (hạn {due})."
DEADLINE_OVERDUE = "⚠ Ý kiến <code>{code}</code> đã quá hạn trả lời ({due}) — đơn vị: {department}."
DEADLINE_ESCALATION = (
    "‼ Ý kiến <code>{code}</code> quá hạn {late} ngày làm việc (hạn {due}) — đơn vị: "
    "{department}. Đề nghị lãnh đạo chỉ đạo giải quyết."
)
NOTHING_OVERDUE = "Không có ý kiến nào quá hạn trả lời."
OVERDUE_HEADER = "<b>Ý kiến quá hạn trả lời</b>: {n}"
ASK_RECORD_WHO = "Ghi ý kiến nêu tại hội nghị. Xin gõ <b>người nêu</b> (họ tên hoặc tổ chức):"
ASK_RECORD_TEXT = "Xin gõ <b>nội dung ý kiến</b>:"
ASK_RECORD_ANSWER = "Xin gõ <b>nội dung trả lời</b> tại hội nghị:"
RECORDED = "Đã ghi vào hồ sơ kỳ đối thoại: <code>{code}</code>."

# -- sessions, announcements and speaking registration ----------------------------------------
SESSION_STATE_NAMES = {
    "planned": "Đã lên kế hoạch",
    "announced": "Đang gửi thông báo",
    "collecting": "Đang nhận ý kiến",
    "closed": "Đã hết hạn nhận ý kiến",
    "held": "Đã tổ chức hội nghị",
    "concluded": "Đã có thông báo kết luận",
}
ANNOUNCEMENT = (
    "📢 <b>THÔNG BÁO</b>\n{commune} tổ chức hội nghị tiếp xúc, đối thoại với Nhân dân:\n\n"
    "{info}\n\n"
    "Ông/Bà có ý kiến, kiến nghị xin gửi ngay tại đây trước <b>{cutoff}</b>: gõ nội dung và "
    "gửi. Muốn phát biểu trực tiếp tại hội nghị, xin gõ /speak sau khi ý kiến được đưa vào "
    "chương trình. Kính mời Ông/Bà tham dự."
)
CHANGE_NOTICE = (
    "📢 <b>THÔNG BÁO {what}</b>\n{commune} xin thông báo thay đổi về hội nghị tiếp xúc, đối "
    "thoại với Nhân dân:\n{changes}\n\n<b>Thông tin mới:</b>\n{info}\n\n"
    "Các ý kiến Ông/Bà đã gửi vẫn được giữ nguyên. Xin cảm ơn Ông/Bà."
)
CHANGE_WHAT_POSTPONED = "HOÃN HỘI NGHỊ"
CHANGE_WHAT_EDITED = "THAY ĐỔI"
CHANGE_LINE = "\n• {label}: <s>{old}</s> → <b>{new}</b>"
CHANGE_LABELS = {
    "title": "Tên hội nghị",
    "starts_at": "Thời gian",
    "place": "Địa điểm",
    "chair": "Chủ trì",
    "fields": "Nội dung trọng tâm",
    "cutoff_at": "Hạn chót gửi ý kiến",
}
CUTOFF_REMINDER = (
    "⏰ <b>NHẮC HẠN GỬI Ý KIẾN</b>\nCòn một ngày nữa là hết hạn gửi ý kiến cho hội nghị "
    "đối thoại «{title}» ({when}). Hạn chót: <b>{cutoff}</b>.\nÔng/Bà có ý kiến, kiến nghị "
    "xin gõ nội dung và gửi ngay tại đây."
)
SESSION_REMINDER = (
    "⏰ <b>NHẮC LỊCH HỘI NGHỊ</b>\nNgày mai, {when}, tại {place}, {commune} tổ chức hội nghị "
    "đối thoại «{title}». Kính mời Ông/Bà tham dự."
)
CONCLUSION_NOTICE = (
    "📄 <b>THÔNG BÁO KẾT LUẬN</b>\nHội nghị đối thoại «{title}» ngày {date}:\n\n{conclusion}"
    "\n\nCâu trả lời cho từng ý kiến sẽ được gửi tới người đã gửi ý kiến. Gõ /my để theo dõi."
)
SEND_OPINION = "Gửi ý kiến"
SEE_SESSION = "Xem kỳ đối thoại"
SPEAK = "Đăng ký phát biểu"
SPEAK_NO_SESSION = "Hiện không có hội nghị đối thoại sắp tới để đăng ký phát biểu."
SPEAK_NEEDS_OPINION = (
    "Để đăng ký phát biểu tại hội nghị ngày {date}, Ông/Bà cần có ít nhất một ý kiến đã được "
    "Mặt trận đưa vào chương trình. Gõ /my để xem tình trạng các ý kiến của Ông/Bà."
)
SPEAK_PICK = "Ông/Bà muốn phát biểu về ý kiến nào?"
SPEAK_REGISTERED = (
    "Đã đăng ký phát biểu về ý kiến <code>{code}</code> tại hội nghị ngày <b>{date}</b>. "
    "Thứ tự đăng ký của Ông/Bà: <b>{place}</b>. Thư ký hội nghị sẽ mời Ông/Bà theo thứ tự."
)
SPEAK_ALREADY = (
    "Ông/Bà đã đăng ký phát biểu tại hội nghị ngày <b>{date}</b> (ý kiến <code>{code}</code>, "
    "thứ tự {place})."
)
LATE_FOR_SESSION = (
    "Hội nghị ngày {date} đã hết hạn nhận ý kiến ({cutoff}); ý kiến của Ông/Bà được lưu và "
    "chuyển tới kỳ đối thoại tiếp theo."
)

# -- the office: sessions, broadcasts, speakers -------------------------------------------------
ASK_SESSION_TITLE = (
    "<b>Lên lịch kỳ đối thoại mới</b> (gõ /cancel để dừng).\nXin gõ tên hội nghị, ví dụ: "
    "<i>Hội nghị đối thoại giữa người đứng đầu cấp ủy, chính quyền với Nhân dân năm 2026</i>"
)
ASK_SESSION_DATE = "Ngày tổ chức (ngày/tháng/năm, ví dụ 15/12/2026):"
ASK_SESSION_SLOT = "Buổi nào? (hoặc gõ giờ bắt đầu, ví dụ 7:30)"
SLOT_MORNING = "Sáng, 8:00"
SLOT_AFTERNOON = "Chiều, 14:00"
ASK_SESSION_PLACE = "Địa điểm (ví dụ: Hội trường UBND xã):"
ASK_SESSION_CHAIR = "Người chủ trì (ví dụ: Đồng chí Bí thư Đảng ủy xã; Đồng chí Chủ tịch UBND xã):"
ASK_SESSION_FIELDS = "Các lĩnh vực, nội dung trọng tâm (hoặc bấm Bỏ qua):"
SKIP = "Bỏ qua"
ASK_SESSION_CUTOFF = (
    "Hạn chót nhận ý kiến: bấm để dùng mặc định, hoặc gõ ngày giờ (ví dụ 13/12/2026 11:00)."
)
CUTOFF_DEFAULT = "11:00 ngày {date}"
ASK_SESSION_LEAD = "Thông báo tới Nhân dân trước bao nhiêu ngày? (mặc định 7; gõ số ngày)"
LEAD_DEFAULT = "7 ngày"
CONFIRM_SESSION = (
    "Xin kiểm tra lại:\n\n{info}\n• Thông báo tới Nhân dân: {announce} ({lead} ngày trước)"
)
CONFIRM = "Xác nhận"
CANCEL = "Hủy"
SESSION_PLANNED = (
    "Đã lên lịch kỳ đối thoại (số {id}). Thông báo sẽ tự động gửi tới Nhân dân lúc "
    "{announce}; nhắc hạn gửi ý kiến và nhắc lịch trước một ngày."
)
SESSION_PLANNED_NOW = (
    "Đã lên lịch kỳ đối thoại (số {id}) và đang gửi thông báo tới {count} người dân đã đăng ký "
    "(xem tiến độ: /broadcasts)."
)
BAD_DATE = "Chưa đọc được ngày. Xin gõ theo dạng ngày/tháng/năm, ví dụ 15/12/2026."
BAD_TIME = "Chưa đọc được giờ. Xin bấm một buổi hoặc gõ giờ, ví dụ 7:30."
BAD_CUTOFF = "Chưa đọc được hạn chót. Xin gõ ví dụ 13/12/2026 11:00, hoặc bấm nút mặc định."
BAD_LEAD = "Xin gõ số ngày từ 1 đến 60."
NO_COMMUNE_ROLE = "Ông/Bà chưa được giao phụ trách xã/phường nào."
SESSIONS_HEADER = "<b>Các kỳ đối thoại</b> ({commune}):"
SESSIONS_ITEM = "\n\n<b>Số {id}</b> · {state}\n{title}\n{when} · hạn ý kiến {cutoff}"
SESSIONS_EMPTY = "Chưa có kỳ đối thoại nào. Gõ /newsession để lên lịch."
SESSIONS_HINT = (
    "\n\nHoãn/đổi lịch: /postpone SỐ; thông báo kết luận: /conclude SỐ; "
    "danh sách phát biểu: /speakers SỐ; tiến độ gửi: /broadcasts."
)
BROADCASTS_EMPTY = "Chưa có thông báo nào được gửi."
BROADCASTS_HEADER = "<b>Tiến độ gửi thông báo</b>:"
BROADCAST_ITEM = (
    "\n\n<b>{kind}</b> (kỳ số {session}) · {created}\nĐã gửi {sent}/{recipients}, "
    "đang chờ {waiting}, không gửi được {failed}{eta}"
)
BROADCAST_ETA = " · dự kiến xong trong khoảng {minutes} phút"
BROADCAST_KINDS = {
    "announce": "Thông báo hội nghị",
    "change": "Thông báo thay đổi",
    "cutoff_reminder": "Nhắc hạn gửi ý kiến",
    "session_reminder": "Nhắc lịch hội nghị",
    "conclusion": "Thông báo kết luận",
}
SPEAKERS_HEADER = "<b>Danh sách đăng ký phát biểu</b> · {title} ({date}):"
SPEAKERS_ITEM = "\n\n{n}. <b>{name}</b> · {village}{org}\n<code>{code}</code> · {topic}: {preview}"
SPEAKERS_EMPTY = "Chưa có ai đăng ký phát biểu cho kỳ đối thoại {title} ({date})."
SESSION_NOT_FOUND = (
    "Không tìm thấy kỳ đối thoại này trong xã/phường Ông/Bà phụ trách. Gõ /sessions."
)
ASK_CONCLUSION = (
    "Xin gõ nội dung thông báo kết luận của hội nghị «{title}» ({date}); nội dung sẽ được gửi "
    "tới toàn bộ người dân đã đăng ký:"
)
CONFIRM_CONCLUSION = "Gửi thông báo kết luận sau tới {count} người dân?\n\n{text}"
CONCLUSION_SENT = "Đã phát hành thông báo kết luận; đang gửi tới {count} người dân (/broadcasts)."
ASK_POSTPONE_DATE = (
    "Hoãn/đổi lịch hội nghị «{title}» (hiện: {when}). Xin gõ ngày mới (ngày/tháng/năm):"
)
CONFIRM_POSTPONE = (
    "Đổi lịch hội nghị «{title}»:\n• Thời gian: {old} → <b>{new}</b>\n• Hạn chót ý kiến: "
    "{old_cutoff} → <b>{new_cutoff}</b>\nNgười dân đã nhận thông báo sẽ được báo lịch mới."
)
SESSION_CHANGED = "Đã đổi lịch. {told}"
SESSION_CHANGED_TOLD = "Đang gửi thông báo thay đổi tới {count} người dân (/broadcasts)."
SESSION_CHANGED_QUIET = "Thông báo chưa gửi nên sẽ gửi theo lịch mới."

# -- one resident on several channels ------------------------------------------------------------
CHANNEL_NAMES = {"telegram": "Telegram", "zalo": "Zalo", "console": "máy tính (thử nghiệm)"}
ASK_LINK_PHONE = (
    "Để dùng chung một hồ sơ trên nhiều kênh, xin Ông/Bà gõ <b>số điện thoại</b> đã khai khi "
    "đăng ký trên kênh kia (Telegram hoặc Zalo)."
)
LINK_CODE_SENT = (
    "Nếu số điện thoại này đã đăng ký trên kênh khác, hệ thống vừa gửi một <b>mã 6 chữ số</b> "
    "tới tài khoản đó. Xin Ông/Bà mở kênh kia, rồi gõ mã vào đây (mã có hiệu lực 10 phút).\n"
    "Không nhận được mã? Xin kiểm tra lại số, gõ /lienket để thử lại, hoặc /start để đăng ký "
    "mới."
)
LINK_CODE_MESSAGE = (
    "Mã liên kết của Ông/Bà: <b>{code}</b>\n"
    "Có người đang muốn dùng chung hồ sơ này trên kênh {channel}. Nếu đó là Ông/Bà, xin gõ "
    "mã trên vào {channel} (hiệu lực 10 phút). Nếu không phải, xin bỏ qua tin này: không có "
    "mã thì không ai liên kết được."
)
LINK_TOO_MANY = "Đã gửi nhiều mã liên kết trong một giờ qua. Xin Ông/Bà thử lại sau ít phút."
LINK_WRONG_CODE = "Mã chưa đúng. Xin Ông/Bà gõ lại mã 6 chữ số (còn {left} lần thử)."
LINK_EXPIRED = (
    "Mã liên kết đã hết hiệu lực hoặc đã nhập sai quá số lần cho phép. Xin gõ /lienket để "
    "nhận mã mới."
)
LINK_ALREADY = "Tài khoản này đã dùng chung hồ sơ với tài khoản kia rồi."
LINK_CANCELLED = "Đã hủy việc liên kết."
LINK_CANCEL = "Hủy"
LINKED = (
    "Đã liên kết. Từ nay Ông/Bà dùng chung một hồ sơ (<b>{name}</b>) trên {channels}: "
    "các ý kiến đã gửi ở kênh nào cũng xem được bằng /my."
)
ASK_ANNOUNCE = (
    "Ông/Bà muốn nhận <b>thông báo kỳ đối thoại và câu trả lời</b> ở kênh nào? "
    "(Đổi lại lúc nào cũng được bằng /thongbao.)"
)
ANNOUNCE_NOW = "Thông báo và câu trả lời hiện gửi tới: <b>{channels}</b>."
ANNOUNCE_ONE_CHANNEL = (
    "Ông/Bà đang dùng một kênh nên thông báo gửi tới kênh này. Nếu Ông/Bà cũng dùng "
    "Telegram hoặc Zalo, gõ /lienket ở kênh kia để dùng chung hồ sơ."
)
ANNOUNCE_ONLY = "Chỉ {channel}"
ANNOUNCE_ALL = "Cả {channels}"
ANNOUNCE_SET = "Đã ghi nhận. Thông báo và câu trả lời sẽ gửi tới: <b>{channels}</b>."

# The terminal demo with --fast-clock.
FAST_CLOCK = "Đồng hồ chạy nhanh: mỗi ngày trôi qua trong {seconds} giây."
FAST_CLOCK_NEXT = "Sắp tới (nếu Ông/Bà đã đăng ký, tin sẽ hiện ở đây):"
FAST_CLOCK_JOB = "  • {what}: sau khoảng {seconds} giây"
JOB_NAMES = {
    "announce": "thông báo kỳ đối thoại (trước 7 ngày)",
    "cutoff_reminder": "nhắc hạn gửi ý kiến",
    "close": "hết hạn gửi ý kiến",
    "session_reminder": "nhắc ngày hội nghị",
    "held": "hội nghị diễn ra",
    "conclusion": "thông báo kết luận",
}

# A card of the Front that a newer card of the same opinion replaced in the same chat.
CARD_STALE = "<i>(Thẻ này đã cũ, các nút đã được gỡ: xin xem thẻ mới nhất của ý kiến này.)</i>"
