"""Demo data for ``kho demo`` (and the committed example dashboards): the site QT with two rooms and six sensor
nodes of the three profiles, then shelving, fonds, boxes with files, a cleaning schedule and two users."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory import auth, registry
from inventory import services as sv
from inventory.db import utcnow
from inventory.errors import NotFound
from inventory.models import CleaningSchedule, Fonds, Room, ShelvingUnit, Site, User

SITE_CODE = "QT"
SITE_NAME = "Kho lưu trữ tỉnh Quảng Trị"
ORGANISATION = "Trung tâm Lưu trữ lịch sử tỉnh Quảng Trị"
# (code, name, climate class)
ROOMS = [
    ("P1", "Phòng kho giấy số 1 (paper)", "paper"),
    ("P2", "Phòng kho phim, ảnh (photo/film)", "photo"),
]
# (device id, profile, room, has smoke detector, hardware)
NODES = [
    ("qt-p1-a", "native", "P1", True, "ESP32 + SHT31 + MQ-2 (kho firmware)"),
    ("qt-p1-esp", "esphome", "P1", False, "ESP32 + BME280 (ESPHome)"),
    ("qt-p1-tas", "tasmota", "P1", False, "Sonoff TH + SHT3X (Tasmota)"),
    ("qt-p2-a", "native", "P2", True, "ESP32 + SHT31 + MQ-2 (kho firmware)"),
    ("qt-p2-esp", "esphome", "P2", False, "ESP8266 + SHT3X (ESPHome)"),
    ("qt-p2-tas", "tasmota", "P2", False, "Sonoff TH + AM2301 (Tasmota)"),
]


def seed_demo_registry(session: Session, *, interval_s: int = 60, actor: str = "demo", description: str = "") -> bool:
    """Create the demo site, its two rooms and six nodes unless the site exists; True when created now."""
    if session.scalar(select(Site).where(Site.code == SITE_CODE)) is not None:
        return False
    registry.create_site(session, SITE_CODE, SITE_NAME, ORGANISATION)
    for code, name, climate in ROOMS:
        registry.create_room(session, SITE_CODE, code, name, climate)
    for dev, profile, room, smoke, hardware in NODES:
        registry.add_device(
            session,
            dev,
            profile,
            SITE_CODE,
            room,
            hardware=hardware,
            has_smoke=smoke,
            interval_s=interval_s,
            actor=actor,
            description=description,
        )
    return True


DEMO_USERS = {"admin": ("admin", "kho-admin-demo"), "thukho": ("keeper", "kho-thukho-demo")}

_FILE_TITLES = [
    "Hồ sơ giao đất, cho thuê đất xã {n}",
    "Báo cáo tổng kết công tác năm {y}",
    "Quyết định bổ nhiệm cán bộ năm {y}",
    "Tờ trình về việc xây dựng trường học xã {n}",
    "Biên bản bàn giao tài liệu lưu trữ năm {y}",
    "Hồ sơ dự án đường giao thông nông thôn {n}",
    "Công văn trao đổi về phòng cháy chữa cháy năm {y}",
]


@dataclass
class DemoInventory:
    """What was seeded; ``users`` maps username to the demo password (print it for the demo)."""

    site: str
    room_codes: list[str]
    boxes: int
    users: dict[str, str]


def seed_demo_inventory(session: Session, site_code: str) -> DemoInventory:
    """Seed a site's first room(s) with shelving, fonds P12/P35 and boxes; idempotent (does nothing twice).

    The site and its rooms must exist (the demo creates them for the sensors first).
    """
    site = session.scalar(select(Site).where(Site.code == site_code))
    if site is None:
        raise NotFound(f"no site {site_code}")
    rooms = list(session.scalars(select(Room).where(Room.site_id == site.id).order_by(Room.code)))[:2]
    users: dict[str, str] = {}
    for username, (role, password) in DEMO_USERS.items():
        if session.scalar(select(User.id).where(User.username == username)) is None:
            auth.create_user(session, username, password, role, display_name=username.title())
        users[username] = password
    if session.scalar(select(Fonds.id).where(Fonds.code == "P12")) is not None:
        return DemoInventory(site_code, [r.code for r in rooms], 0, users)
    units: list[ShelvingUnit] = []
    for room in rooms:
        sv.ensure_room_label(session, room)
        for n in (1, 2):
            units.append(
                sv.create_shelving(
                    session, site_code, room.code, n, shelves=4, slots_per_shelf=5, capacity_boxes=8, capacity_m=0.8
                )
            )
    sv.create_fonds(
        session, "P12", "UBND huyện Đông Anh", "Ủy ban nhân dân huyện Đông Anh", date(1976, 1, 1), date(2015, 12, 31)
    )
    sv.create_fonds(session, "P35", "Sở Tài nguyên và Môi trường", "Sở TN&MT", date(1994, 1, 1), date(2020, 12, 31))
    slots = [sl for u in units for sh in u.shelves for sl in sh.slots]
    count = 0
    for fonds, cat, n_boxes in (("P12", 1, 24), ("P12", 3, 16), ("P35", 1, 20)):
        for b in range(1, n_boxes + 1):
            year = 1990 + (b % 25)
            files = [
                sv.FileIn(
                    i + 1,
                    _FILE_TITLES[(b + i) % len(_FILE_TITLES)].format(n=b, y=year),
                    date(year, 1, 1),
                    date(year, 12, 31),
                    retention_years=None if (b + i) % 3 else 10,
                    pages=20 + 7 * i,
                )
                for i in range(4)
            ]
            box = sv.create_box(
                session,
                sv.BoxIn(
                    fonds,
                    cat,
                    b,
                    title=f"Năm {year}",
                    date_from=date(year, 1, 1),
                    date_to=date(year, 12, 31),
                    processing_state="backlog" if b % 7 == 0 else "processed",
                    files=files,
                ),
                "demo",
            )
            if b % 9 != 0:  # a few boxes are still waiting to be shelved
                sv.place_box(session, box, slots[count % len(slots)], "demo")
            count += 1
    if rooms:
        sch = CleaningSchedule(
            room_id=rooms[0].id,
            kind="floor",
            recurrence="every 7d",
            assignee="thukho",
            created_by="demo",
            starts_at=utcnow() - timedelta(days=7),
        )
        session.add(sch)
        session.flush()
        sv.ensure_task(session, sch.id, utcnow().replace(microsecond=0) - timedelta(hours=2))
    session.flush()
    return DemoInventory(site_code, [r.code for r in rooms], count, users)
