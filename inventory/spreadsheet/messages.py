"""User-facing texts of the spreadsheet and label tools, Vietnamese (default) and English."""

from __future__ import annotations

from typing import Any

TEXTS: dict[str, dict[str, str]] = {
    "missing_value": {"vi": "thiếu giá trị bắt buộc", "en": "required value missing"},
    "not_int": {"vi": "không phải số nguyên: {value!r}", "en": "not a whole number: {value!r}"},
    "not_positive": {"vi": "phải là số dương: {value!r}", "en": "must be a positive number: {value!r}"},
    "bad_date": {"vi": "ngày không hợp lệ: {value!r}", "en": "invalid date: {value!r}"},
    "date_order": {"vi": "ngày bắt đầu sau ngày kết thúc", "en": "start date is after end date"},
    "bad_retention": {
        "vi": "thời hạn bảo quản không hiểu được: {value!r} (ví dụ: 'Vĩnh viễn', '10 năm')",
        "en": "unreadable retention: {value!r} (e.g. 'Vĩnh viễn', '10 năm')",
    },
    "bad_access": {"vi": "chế độ sử dụng không hợp lệ: {value!r}", "en": "invalid access: {value!r}"},
    "duplicate_file": {
        "vi": "hồ sơ số {file} của hộp {box} đã có ở dòng {first}",
        "en": "file {file} of box {box} already appears on row {first}",
    },
    "no_header": {
        "vi": "không tìm thấy dòng tiêu đề (cần ít nhất cột 'Số hộp' và 'Tiêu đề hồ sơ')",
        "en": "no header row found (need at least the columns 'Số hộp' and 'Tiêu đề hồ sơ')",
    },
    "missing_columns": {"vi": "thiếu cột: {columns}", "en": "missing columns: {columns}"},
    "unknown_field": {
        "vi": "trường không tồn tại trong --mapping: {field} (có: {known})",
        "en": "unknown field in --mapping: {field} (known: {known})",
    },
    "unknown_header": {"vi": "không có cột '{header}' trong tệp", "en": "no column '{header}' in the file"},
    "bad_mapping": {
        "vi": "--mapping phải có dạng 'Tên cột=trường': {value!r}",
        "en": "--mapping must look like 'Column header=field': {value!r}",
    },
    "no_fonds": {
        "vi": "chưa biết phông: dùng --fonds hoặc thêm cột 'Phông'",
        "en": "fonds unknown: use --fonds or add a 'Phông' column",
    },
    "unknown_fonds": {
        "vi": "phông {code} chưa có; thêm --fonds-name để tạo mới",
        "en": "fonds {code} does not exist; pass --fonds-name to create it",
    },
    "unsupported_file": {
        "vi": "định dạng tệp không hỗ trợ: {suffix} (dùng .xlsx hoặc .csv)",
        "en": "unsupported file type: {suffix} (use .xlsx or .csv)",
    },
    "box_conflict": {
        "vi": "hộp {code} đã tồn tại thuộc mục lục khác",
        "en": "box code {code} already exists in another catalogue",
    },
}


def t(key: str, lang: str = "vi", **kw: Any) -> str:
    """The text ``key`` in ``lang`` (falls back to Vietnamese), formatted with ``kw``."""
    entry = TEXTS[key]
    return entry.get(lang, entry["vi"]).format(**kw)
