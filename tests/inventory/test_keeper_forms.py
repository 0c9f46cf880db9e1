"""Keeper pages without JavaScript: refused actions come back on the same form with the input kept and a
Vietnamese message beside the field; error pages in the layout; only real conflicts conflict; success messages."""

from __future__ import annotations

import html
import re
from collections.abc import Callable

from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from inventory import services as sv
from inventory.models import BoxEvent
from inventory.registry import create_room
from tests.inventory.conftest import World, csrf_of

# Words of the services' English messages and of FastAPI's defaults; none may be visible on a Vietnamese page.
ENGLISH = re.compile(
    r"\b(no slot|is full|not a slot|label|changed by|someone else|reload|version|checked out|due date|photo|"
    r"larger than|detail|not found|method not allowed|field required|unknown|error|the|is|you)\b",
    re.IGNORECASE,
)


def visible_text(page: str) -> str:
    """The text a reader sees: no tags, attributes, scripts or styles; the language switch link left out."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    page = re.sub(r'<a class="lang".*?</a>', " ", page, flags=re.S)
    page = re.sub(r"<[^>]+>", " ", page)
    return re.sub(r"\s+", " ", html.unescape(page))


def field_error(page: str, field: str) -> str:
    m = re.search(rf'id="err-{field}"[^>]*>([^<]+)<', page)
    assert m, f"no message beside {field}"
    return html.unescape(m.group(1))


def value_of(page: str, name: str) -> str:
    m = re.search(rf'name="{name}"[^>]*?value="([^"]*)"', page) or re.search(
        rf'value="([^"]*)"[^>]*?name="{name}"', page
    )
    assert m, f"no input {name}"
    return html.unescape(m.group(1))


def assert_vietnamese(page: str) -> None:
    text = visible_text(page)
    found = ENGLISH.findall(text)
    assert not found, (found, text[:600])


def test_move_errors_stay_on_the_form(client_factory: Callable[..., TestClient], world: World) -> None:
    c = client_factory("keeper")
    tok = csrf_of(c)
    box = world.box_ids["P12-ML3-H004"]
    # an unknown code: the typed code is kept, the message is beside the slot field, in Vietnamese
    r = c.post(f"/box/{box}/move", data={"csrf": tok, "slot": "P9-XX", "set_home": "true"})
    assert r.status_code == 404
    assert field_error(r.text, "slot") == "Không có vị trí P9-XX: kiểm tra lại mã trên nhãn vị trí"
    assert value_of(r.text, "slot") == "P9-XX" and 'name="set_home" value="true" checked' in r.text
    assert '<details id="act-move" open>' in r.text and "Hộp" in r.text
    assert_vietnamese(r.text)
    # a box code where a slot is expected
    r = c.post(f"/box/{box}/move", data={"csrf": tok, "slot": "P12-ML3-H001"})
    assert r.status_code == 404
    assert field_error(r.text, "slot").startswith("P12-ML3-H001 là nhãn hộp, không phải nhãn vị trí")
    assert value_of(r.text, "slot") == "P12-ML3-H001"
    assert_vietnamese(r.text)
    # a full slot
    r = c.post(f"/box/{box}/move", data={"csrf": tok, "slot": "K1-G01-T1-V01"})
    assert r.status_code == 409
    assert field_error(r.text, "slot") == "Vị trí K1-G01-T1-V01 đã đầy (2/2 hộp): chọn vị trí khác"
    assert_vietnamese(r.text)
    # the same in English when chosen
    r = c.post(f"/box/{box}/move?lang=en", data={"csrf": tok, "slot": "K1-G01-T1-V01"})
    assert field_error(r.text, "slot") == "Slot K1-G01-T1-V01 is full (2/2 boxes): choose another"
    c.get("/?lang=vi")
    # and the success message names the box and the slot
    r = c.post(f"/box/{box}/move", data={"csrf": tok, "slot": "K1-G01-T2-V03"}, follow_redirects=True)
    assert "Đã chuyển hộp P12-ML3-H004 vào K1-G01-T2-V03" in r.text


def test_checkout_damage_inspect_errors_keep_the_input(client_factory: Callable[..., TestClient], world: World) -> None:
    c = client_factory("keeper")
    tok = csrf_of(c)
    box = world.box_ids["P12-ML3-H001"]
    r = c.post(
        f"/box/{box}/checkout",
        data={"csrf": tok, "custodian": "  ", "purpose": "digitisation", "due_back": "2099-01-02", "reason": "số hóa"},
    )
    assert r.status_code == 400
    assert field_error(r.text, "custodian") == "Hãy ghi tên người mượn"
    assert value_of(r.text, "due_back") == "2099-01-02" and value_of(r.text, "reason") == "số hóa"
    assert '<option value="digitisation" selected>' in r.text and '<details id="act-checkout" open>' in r.text
    assert_vietnamese(r.text)
    r = c.post(f"/box/{box}/checkout", data={"csrf": tok, "custodian": "Lê Thị Hoa", "due_back": "2001-01-01"})
    assert r.status_code == 400
    assert field_error(r.text, "due_back") == "Hạn trả đã qua: chọn từ hôm nay trở đi"
    assert value_of(r.text, "custodian") == "Lê Thị Hoa"
    assert_vietnamese(r.text)
    # an oversized photo: kind and note kept, message beside the photo field
    big = b"\xff\xd8\xff\xe0" + b"0" * (sv.MAX_PHOTO_BYTES + 10)
    r = c.post(
        f"/box/{box}/damage",
        data={"csrf": tok, "kind": "mould", "note": "mốc góc hộp"},
        files={"photo": ("p.jpg", big, "image/jpeg")},
    )
    assert r.status_code == 400
    assert field_error(r.text, "photo") == "Ảnh lớn hơn 8 MB: chụp lại với độ phân giải thấp hơn"
    assert value_of(r.text, "note") == "mốc góc hộp" and '<option value="mould" selected>' in r.text
    assert_vietnamese(r.text)
    # success messages say what was done
    r = c.post(f"/box/{box}/checkout", data={"csrf": tok, "custodian": "Lê Thị Hoa"}, follow_redirects=True)
    assert "Đã cho Lê Thị Hoa mượn hộp P12-ML3-H001" in r.text
    r = c.post(f"/box/{box}/return", data={"csrf": tok}, follow_redirects=True)
    assert "Đã nhận lại hộp P12-ML3-H001 và xếp vào K1-G01-T1-V01" in r.text
    # an inspection or treatment is recorded from the box page; damage shows on the badge until then
    r = c.post(f"/box/{box}/damage", data={"csrf": tok, "kind": "pests"}, follow_redirects=True)
    assert re.search(r'id="damaged">Hư hỏng: Côn trùng<', r.text)
    r = c.post(
        f"/box/{box}/inspect", data={"csrf": tok, "condition": "good", "note": "đã khử trùng"}, follow_redirects=True
    )
    assert "Đã ghi kiểm tra hộp P12-ML3-H001" in r.text and 'id="damaged"' not in r.text
    assert "<b>Kiểm tra</b> · Tốt" in r.text and "đã khử trùng" in r.text


def test_schedule_error_keeps_the_input(client_factory: Callable[..., TestClient], world: World) -> None:
    m = client_factory("manager")
    tok = csrf_of(m)
    r = m.post(
        f"/room/{world.room_id}/schedule",
        data={"csrf": tok, "kind": "dusting", "recurrence": "mỗi tuần", "unit": "K1-G01", "assignee": "keeper"},
    )
    assert r.status_code == 400
    assert field_error(r.text, "recurrence").startswith("Không hiểu lịch lặp lại")
    assert value_of(r.text, "recurrence") == "mỗi tuần" and value_of(r.text, "assignee") == "keeper"
    assert "<option selected>K1-G01</option>" in r.text and '<option value="dusting" selected>' in r.text


def test_error_pages_are_pages_and_the_api_keeps_json(client_factory: Callable[..., TestClient], world: World) -> None:
    c = client_factory("keeper")
    for url, status in (("/no/such/page", 404), (f"/box/{world.box_ids['P12-ML3-H001']}/move", 405), ("/box/abc", 422)):
        r = c.get(url)
        assert r.status_code == status and r.headers["content-type"].startswith("text/html"), url
        assert "Về trang chính" in r.text and "<header>" in r.text and '"detail"' not in r.text
        assert_vietnamese(r.text)
    assert "Không có trang này" in c.get("/no/such/page").text
    r = c.get("/no/such/page?lang=en")
    assert "There is no such page" in r.text and "Back to home" in r.text
    r = c.get("/api/inventory/boxes/abc/events/nope")
    assert r.status_code == 404 and r.json() == {"detail": "Not Found"}
    r = c.get("/api/inventory/search")
    assert r.status_code in (200, 422) and r.headers["content-type"].startswith("application/json")


def test_a_server_error_is_a_page(client_factory: Callable[..., TestClient], world: World) -> None:
    c = client_factory("keeper")

    def boom() -> None:
        raise RuntimeError("database exploded")

    app = c.app
    app.add_api_route("/boom", boom)  # type: ignore[attr-defined]
    app.add_api_route("/api/boom", boom)  # type: ignore[attr-defined]
    quiet = TestClient(app, raise_server_exceptions=False)
    quiet.cookies = c.cookies
    r = quiet.get("/boom")
    assert r.status_code == 500 and "Về trang chính" in r.text and "việc vừa làm chưa được lưu" in r.text
    assert "exploded" not in r.text and "Traceback" not in r.text
    r = quiet.get("/api/boom")
    assert r.status_code == 500 and r.json() == {"detail": "internal error"}


def test_cleaning_does_not_invalidate_a_pending_move(
    client_factory: Callable[..., TestClient], world: World, sessions: sessionmaker[Session]
) -> None:
    a, b = client_factory("keeper"), client_factory("manager")
    tok_a, tok_b = csrf_of(a), csrf_of(b)
    box = world.box_ids["P12-ML3-H003"]
    version = value_of(a.get(f"/box/{box}").text, "version")
    # a colleague cleans it, notes damage and records an inspection while the keeper's move form is open
    assert b.post(f"/box/{box}/cleaned", data={"csrf": tok_b, "version": version}).status_code == 303
    assert b.post(f"/box/{box}/damage", data={"csrf": tok_b, "kind": "torn"}).status_code == 303
    assert b.post(f"/box/{box}/inspect", data={"csrf": tok_b, "condition": "fair"}).status_code == 303
    r = a.post(f"/box/{box}/move", data={"csrf": tok_a, "slot": "K1-G01-T2-V01", "version": version})
    assert r.status_code == 303, visible_text(r.text)[:400]
    # a second move from a stale page is a real conflict: the box is shown as it is now, saying who did what
    r = b.post(f"/box/{box}/move", data={"csrf": tok_b, "slot": "K1-G01-T2-V02", "version": version})
    assert r.status_code == 409
    msg = html.unescape(re.search(r'id="page-error"[^>]*>([^<]+)<', r.text).group(1))  # type: ignore[union-attr]
    assert re.fullmatch(
        r"Hộp P12-ML3-H003: keeper đã chuyển hộp sang K1-G01-T2-V01 lúc \d\d/\d\d/\d{4} \d\d:\d\d\. "
        r"Trang đã tải lại với tình trạng mới: xem rồi làm lại nếu vẫn cần",
        msg,
    ), msg
    assert re.search(r'id="now-at"><a href="/slot/\d+">K1-G01-T2-V01', r.text)
    assert_vietnamese(r.text)
    # a checkout prepared before the move conflicts too
    r = b.post(f"/box/{box}/checkout", data={"csrf": tok_b, "custodian": "An", "version": version})
    assert r.status_code == 409 and "keeper đã chuyển hộp sang K1-G01-T2-V01" in r.text
    with sessions() as s:
        kinds = [e.kind for e in s.scalars(select(BoxEvent).where(BoxEvent.box_id == box).order_by(BoxEvent.id))]
    assert kinds[-4:] == ["cleaned", "damaged", "inspected", "moved"]


def test_media_that_does_not_suit_the_room_warns(
    client_factory: Callable[..., TestClient], world: World, sessions: sessionmaker[Session]
) -> None:
    with sessions() as s:
        create_room(s, "HN", "K2", "Kho phim ảnh", climate_class="photo")
        sv.create_shelving(s, "HN", "K2", 1, shelves=1, slots_per_shelf=1, capacity_boxes=5)
        s.commit()
    c = client_factory("keeper")
    r = c.post(
        f"/box/{world.box_ids['P12-ML3-H004']}/move",
        data={"csrf": csrf_of(c), "slot": "K2-G01-T1-V01"},
        follow_redirects=True,
    )
    assert 'class="flash flash-warn"' in r.text
    assert "Đã chuyển hộp P12-ML3-H004 vào K2-G01-T1-V01. Lưu ý: hộp loại giấy không hợp với Kho phim ảnh" in r.text


def test_carry_and_cancel(client_factory: Callable[..., TestClient], world: World) -> None:
    c = client_factory("keeper")
    tok = csrf_of(c)
    box = world.box_ids["P12-ML3-H004"]
    page = c.post(f"/box/{box}/carry", data={"csrf": tok}, follow_redirects=True).text
    assert "Đang chuyển hộp P12-ML3-H004" in page and 'id="carry-cancel"' in page
    slot = c.get(f"/slot/{world.slot_ids['K1-G01-T2-V03']}").text
    assert "Đặt hộp P12-ML3-H004 vào đây" in slot
    page = c.post("/carry/cancel", data={"csrf": tok, "back": f"/box/{box}"}, follow_redirects=True).text
    assert "Đã thôi chuyển hộp P12-ML3-H004" in page
    assert "Đặt hộp P12-ML3-H004 vào đây" not in c.get(f"/slot/{world.slot_ids['K1-G01-T2-V03']}").text
    # a full slot refuses "place here" on the slot page, in words
    c.post(f"/box/{box}/carry", data={"csrf": tok})
    r = c.post(f"/slot/{world.slot_ids['K1-G01-T1-V01']}/place", data={"csrf": tok, "box": str(box)})
    assert r.status_code == 409 and "Vị trí K1-G01-T1-V01 đã đầy (2/2 hộp)" in r.text
    assert_vietnamese(r.text)
