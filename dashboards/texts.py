"""Dashboard wording in Vietnamese (default) and English."""

from __future__ import annotations

LANGS = ("vi", "en")

_TEXTS: dict[str, tuple[str, str]] = {
    "temperature": ("Nhiệt độ", "Temperature"),
    "humidity": ("Độ ẩm", "Humidity"),
    "smoke": ("Khói", "Smoke"),
    "no_detector": ("Không có đầu báo khói", "No smoke detector"),
    "no_smoke": ("Không khói", "No smoke"),
    "smoke_alarm": ("CÓ KHÓI!", "SMOKE!"),
    "offline": ("Nút mất kết nối", "Nodes offline"),
    "dew_point": ("Điểm sương", "Dew point"),
    "swing_t": ("Dao động nhiệt 24 h", "24 h temperature swing"),
    "swing_rh": ("Dao động ẩm 24 h", "24 h humidity swing"),
    "node_status": ("Trạng thái nút đo", "Node status"),
    "online": ("Trực tuyến", "Online"),
    "offline_one": ("Mất kết nối", "Offline"),
    "smoke_level": ("Mức khói (MQ-2)", "Smoke level (MQ-2)"),
    "battery": ("Pin", "Battery"),
    "wall": ("Màn hình kho", "Wall display"),
    "room": ("Phòng", "Room"),
    "overview": ("Tổng quan các kho", "All sites overview"),
    "worst": ("Phòng cần chú ý trước", "Worst rooms first"),
    "score_help": (
        "Độ lệch so với dải mục tiêu (đơn vị: nửa dải); ≤ 1 là trong dải, 10 là có khói.",
        "Distance from the target band in half-band units; ≤ 1 is inside the band, 10 means smoke.",
    ),
    "node": ("Nút đo", "Node"),
    "no_rooms": ("Chưa có phòng nào được đăng ký.", "No rooms registered yet."),
    "target": ("Mục tiêu", "Target"),
    "annotation_smoke": ("Báo khói", "Smoke reported"),
    "annotation_offline": ("Nút mất kết nối", "Node went offline"),
}


def tr(key: str, lang: str) -> str:
    """The text for ``key`` in ``lang`` (``vi`` or ``en``)."""
    vi, en = _TEXTS[key]
    return en if lang == "en" else vi
