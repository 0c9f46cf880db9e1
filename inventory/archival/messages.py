"""Vietnamese wording of the archival services' messages for the pages (the services speak English, as the
rest of the registry does; the API and CLI show them as they are)."""

from __future__ import annotations

import re

from inventory.errors import RegistryError
from inventory.webutil import error_text

_BOX = r"(?P<box>\S+)"
_B = r"(?P<b>\S+)"

# (pattern of the English message, Vietnamese text with the pattern's groups)
_VI: list[tuple[re.Pattern[str], str]] = [
    (re.compile(p), vi)
    for p, vi in (
        (rf"^no box {_BOX}$", "Không có hộp {box}"),
        (r"^no slot (?P<x>\S+)$", "Không có vị trí {x}"),
        (r"^no fonds (?P<x>\S+)$", "Không có phông {x}"),
        (r"^no organisation (?P<x>\S+)$", "Không có cơ quan {x}"),
        (r"^slot (?P<x>\S+) is full \((?P<r>.*)\)$", "Vị trí {x} đã đầy ({r})"),
        (rf"^batch {_B} cannot be closed: no box was received$", "Chưa thể hoàn tất lô {b}: chưa nhận được hộp nào"),
        (rf"^batch {_B} cannot be closed: (?P<rest>.*)$", "Chưa thể hoàn tất lô {b}: {rest}"),
        (rf"^batch {_B}: this step is for the other side's staff$", "Lô {b}: việc này do cán bộ bên kia thực hiện"),
        (rf"^batch {_B} is \w+: it can no longer change$", "Lô {b} đã kết thúc: không thay đổi được nữa"),
        (
            rf"^box {_BOX} is kept by (?P<org>.+): only its own staff can move it$",
            "Hộp {box} thuộc {org}: chỉ cán bộ của đơn vị đó được di chuyển",
        ),
        (rf"^box {_BOX} is not kept by the sender.*$", "Hộp {box} không thuộc bên giao"),
        (rf"^box {_BOX} is not on the list of batch {_B}$", "Hộp {box} không có trong danh sách lô {b}"),
        (
            rf"^box {_BOX} is not an unexpected box of batch {_B}$",
            "Hộp {box} không phải hộp ngoài danh sách của lô {b}",
        ),
        (rf"^box {_BOX} was received$", "Hộp {box} đã được nhận"),
        (rf"^box {_BOX} is already in open batch {_B}$", "Hộp {box} đã có trong lô {b} đang giao nhận"),
        (
            rf"^box {_BOX} was destroyed: .*$",
            "Hộp {box} đã bị hủy: vẫn lưu trong sổ đăng ký nhưng không di chuyển được",
        ),
        (
            rf"^box {_BOX} is (?P<st>\w+): it cannot be transferred$",
            "Hộp {box} đang ở trạng thái {st}: không giao nộp được",
        ),
        (
            r"^fonds (?P<f>\S+) is closed since (?P<d>\S+): .*$",
            "Phông {f} đã khóa từ {d}: không nhận thêm hộp, hồ sơ",
        ),
        (r"^only staff of (?P<org>.+) can open a transfer from it$", "Chỉ cán bộ của {org} được lập lô giao nộp"),
        (r"^only staff of (?P<org>.+) can propose destroying its files$", "Chỉ cán bộ của {org} được đề nghị hủy"),
        (r"^sender and receiver are the same organisation$", "Bên giao và bên nhận là cùng một cơ quan"),
        (r"^choose boxes: a fonds, box codes or a due year$", "Hãy chọn phông, nhập mã hộp hoặc năm đến hạn"),
        (r"^(?P<n>\d+) council member\(s\) have not voted yet$", "Còn {n} thành viên hội đồng chưa biểu quyết"),
        (r"^record the appraisal opinion first$", "Cần ghi ý kiến thẩm định trước"),
        (r"^destruction (?P<c>\S+) is at step \w+: not possible now$", "Hồ sơ hủy {c}: chưa thể làm bước này"),
        (r"^destruction (?P<c>\S+) belongs to another organisation$", "Hồ sơ hủy {c} thuộc cơ quan khác"),
        (
            r"^(?P<org>.+) has no file whose retention expired by (?P<y>\d+)$",
            "{org} không có hồ sơ hết thời hạn lưu trữ đến năm {y}",
        ),
        (r"^give the decision's number and who signed it$", "Hãy nhập số quyết định và người ký"),
        (r"^name who destroys the records$", "Hãy nhập đơn vị thực hiện hủy"),
        (r"^give the destruction record's number$", "Hãy nhập số biên bản hủy"),
        (r"^council member's name is empty$", "Chưa nhập họ tên thành viên hội đồng"),
        (r"^say who appraised and what their opinion is$", "Hãy nhập cơ quan thẩm định và ý kiến thẩm định"),
        (
            r"^fonds (?P<f>\S+) has (?P<a>[\d.]+) m unarranged registered: cannot arrange (?P<m>[\d.]+) m$",
            "Phông {f} chỉ còn {a} m tồn đọng đã ghi nhận: không thể ghi {m} m đã chỉnh lý",
        ),
        (r"^fonds (?P<f>\S+) belongs to another organisation$", "Phông {f} thuộc cơ quan khác"),
        (
            r"^give the estimated metres or the bundles' stack heights$",
            "Hãy nhập số mét ước tính hoặc chiều cao các bó",
        ),
        (r"^a bundle's stack height must be between 0 and 500 cm$", "Chiều cao mỗi bó phải từ 0 đến 500 cm"),
        (r"^give the metres arranged or the catalogue produced$", "Hãy nhập số mét đã chỉnh lý hoặc mục lục đã lập"),
        (r"^fonds (?P<f>\S+) has no catalogue (?P<c>\d+)$", "Phông {f} không có mục lục số {c}"),
        (r"^not an XLSX workbook$", "Tệp không phải bảng tính XLSX"),
        (
            r"^(?P<n>\d+) error\(s\) in the file, nothing imported: (?P<rest>.*)$",
            "Tệp có {n} lỗi, chưa nhập gì: {rest}",
        ),
    )
]

# Pieces inside longer messages (the close refusal lists its reasons).
_PARTS = [
    (re.compile(r"(\d+) box\(es\) not received: "), r"\1 hộp chưa nhận được: "),
    (
        re.compile(r"(\d+) unexpected box\(es\) to accept or send back: "),
        r"\1 hộp ngoài danh sách cần nhận hoặc trả lại: ",
    ),
    (re.compile(r"\brow (\d+)"), r"dòng \1"),
]


def localise(message: str, lang: str) -> str:
    """``message`` in Vietnamese when ``lang`` is vi and it is one the archival pages know; else unchanged."""
    if lang == "en":
        return message
    for pattern, vi in _VI:
        m = pattern.match(message)
        if m:
            text = vi.format(**m.groupdict())
            for part, repl in _PARTS:
                text = part.sub(repl, text)
            return text
    return message


def error_words(lang: str, err: RegistryError) -> str:
    """A service error as a page shows it: its text of the catalogue when it names one, else ``localise``."""
    return error_text(lang, err) if err.key else localise(str(err), lang)
