"""The keeper's day in real Chromium at 360×780 with ``BarcodeDetector`` removed: the bundled decoder reads real
labels from Chromium's fake camera (a video made from a printed label sheet) and from a photo; stocktake scans
post in the background with the camera kept open; no button is shown that cannot work; axe-core finds no
serious or critical problem on the keeper pages. Screenshots go to test-artifacts/keeper/."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

from inventory import services as sv
from inventory.labels.pdf import render_labels
from inventory.labels.records import LabelRecord
from kho.app import create_app
from kho.asgi_thread import ThreadedServer
from kho.localservers import free_port
from kho.settings import Settings
from tests.browser import launch_chromium, log_in, phone_page
from tests.inventory.conftest import PASSWORD, World
from tests.inventory.test_keeper_forms import ENGLISH

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "keeper"
AXE = Path(__file__).parent / "assets" / "axe-core" / "axe.min.js"
NO_DETECTOR = "delete window.BarcodeDetector;"
BASE_URL = "https://kho.example.vn"


@pytest.fixture
def server(app_settings: Settings, world: World) -> Iterator[str]:
    app = create_app(app_settings)
    srv = ThreadedServer(app, "127.0.0.1", free_port(), lifespan="off")
    assert srv.start(20), "uvicorn did not start"
    yield srv.url
    srv.stop()
    app.state.engine.dispose()


def _label_png(sessions: sessionmaker[Session], kind: str, code: str, out: Path) -> Path:
    """The label of ``code`` as printed: rendered into the label sheet PDF, rasterised, cut out."""
    with sessions() as s:
        if kind == "box":
            token = sv.box_view(s, sv.get_box(s, code).id).token
        else:
            token = sv.slot_view(s, sv.get_slot(s, code).id).token
    record = LabelRecord(token=token, code=code, kind=kind, lines=("Phông P12 – UBND huyện Đông Anh", "Mục lục số 3"))
    pdf = out.with_suffix(".pdf")
    render_labels([record], BASE_URL, pdf)
    subprocess.run(["pdftoppm", "-png", "-r", "200", "-singlefile", str(pdf), str(out.with_suffix(""))], check=True)
    sheet = Image.open(out).convert("RGB")
    mm = 200 / 25.4
    # the first label of the A4 3×7 sheet: 7.2 mm from the left, 15.15 mm from the top, 63.5 × 38.1 mm
    label = sheet.crop((int(7.2 * mm), int(15.15 * mm), int((7.2 + 63.5) * mm), int((15.15 + 38.1) * mm)))
    label.save(out)
    return out


def _y4m(image: Path, out: Path, frames: int = 10) -> Path:
    """A short Y4M video (what Chromium's fake camera plays in a loop) of ``image`` held in front of the camera."""
    w, h = 640, 480
    frame = Image.new("RGB", (w, h), (120, 110, 100))
    label = Image.open(image).convert("RGB")
    scale = min(560 / label.width, 400 / label.height)
    label = label.resize((int(label.width * scale), int(label.height * scale)), Image.Resampling.LANCZOS)
    frame.paste(label, ((w - label.width) // 2, (h - label.height) // 2))
    y, cb, cr = frame.convert("YCbCr").split()
    planes = y.tobytes() + cb.resize((w // 2, h // 2)).tobytes() + cr.resize((w // 2, h // 2)).tobytes()
    with out.open("wb") as f:
        f.write(f"YUV4MPEG2 W{w} H{h} F10:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            f.write(b"FRAME\n" + planes)
    return out


@pytest.fixture
def browser_factory() -> Iterator[Callable[..., Any]]:
    """Launch Chromium (``camera``: a Y4M file for the fake camera) and give a logged-in phone page."""
    from playwright.sync_api import sync_playwright

    pw = sync_playwright().start()
    browsers: list[Any] = []

    def make(server: str, *, camera: Path | None = None, extra_args: tuple[str, ...] = (), js: bool = True) -> Any:
        args = list(extra_args)
        if camera is not None:
            args += [
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={camera}",
                "--use-fake-ui-for-media-stream",
            ]
        browser = launch_chromium(pw, args)
        browsers.append(browser)
        page = phone_page(browser, java_script_enabled=js)
        if camera is not None:
            page.context.grant_permissions(["camera"], origin=server)
        page.context.add_init_script(NO_DETECTOR)
        log_in(page, server, "keeper", PASSWORD)
        page.wait_for_url(re.compile(r".*/$"))
        return page

    yield make
    for b in browsers:
        b.close()
    pw.stop()


def _shots(request: pytest.FixtureRequest) -> Path:
    backend = request.node.callspec.params.get("db_url", "db")
    d = ARTIFACTS / backend
    d.mkdir(parents=True, exist_ok=True)
    return d


def _transferred(page: Any) -> int:
    return int(
        page.evaluate(
            "() => performance.getEntriesByType('navigation').concat(performance.getEntriesByType('resource'))"
            ".reduce((n, e) => n + (e.transferSize || e.encodedBodySize || 0), 0)"
        )
    )


def test_camera_scan_with_the_bundled_decoder_opens_the_box(
    server: str,
    world: World,
    sessions: sessionmaker[Session],
    browser_factory: Callable[..., Any],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    from playwright.sync_api import expect

    video = _y4m(_label_png(sessions, "box", "P12-ML3-H001", tmp_path / "h001.png"), tmp_path / "h001.y4m")
    page = browser_factory(server, camera=video)
    shots = _shots(request)
    assert page.evaluate("'BarcodeDetector' in window") is False
    assert _transferred(page) <= 100 * 1024, "the home page stays light: the decoder is not loaded yet"
    assert page.evaluate("typeof window.jsQR") == "undefined"
    cam = page.locator("#code-in ~ .scan-tools .scan-cam")
    expect(cam).to_be_visible()
    page.screenshot(path=str(shots / "01-home.png"), full_page=True)
    cam.click()
    expect(page.locator("h1")).to_contain_text("P12-ML3-H001", timeout=20_000)
    expect(page.locator("#now-at")).to_contain_text("K1-G01-T1-V01")
    page.screenshot(path=str(shots / "02-box-after-camera-scan.png"), full_page=True)


def test_photo_of_a_slot_label_moves_the_box(
    server: str,
    world: World,
    sessions: sessionmaker[Session],
    browser_factory: Callable[..., Any],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    from playwright.sync_api import expect

    photo = _label_png(sessions, "slot", "K1-G01-T2-V03", tmp_path / "v03.png")
    page = browser_factory(server)
    shots = _shots(request)
    page.goto(f"{server}/box/{world.box_ids['P12-ML3-H004']}")
    page.locator("#act-move .scan-photo input[type=file]").set_input_files(str(photo))
    expect(page.locator(".flash")).to_have_text("Đã chuyển hộp P12-ML3-H004 vào K1-G01-T2-V03", timeout=20_000)
    expect(page.locator("#now-at")).to_contain_text("K1-G01-T2-V03")
    page.screenshot(path=str(shots / "03-moved-by-photo.png"), full_page=True)
    # a photo without a code says so and keeps what was typed
    blank = tmp_path / "blank.png"
    Image.new("RGB", (400, 300), (230, 230, 230)).save(blank)
    page.fill("#act-move input[name=slot]", "K1-G01")
    page.locator("#act-move .scan-photo input[type=file]").set_input_files(str(blank))
    expect(page.locator("#act-move .scan-msg")).to_contain_text("Không đọc được mã QR trong ảnh", timeout=20_000)
    expect(page.locator("#act-move input[name=slot]")).to_have_value("K1-G01")


def test_stocktake_at_scanning_speed(
    server: str,
    world: World,
    sessions: sessionmaker[Session],
    browser_factory: Callable[..., Any],
    tmp_path: Path,
    request: pytest.FixtureRequest,
) -> None:
    from playwright.sync_api import expect

    with sessions() as s:
        sv.place_box(s, sv.get_box(s, "P12-ML3-H004"), "K1-G01-T2-V01", "seed")
        s.commit()
    video = _y4m(_label_png(sessions, "box", "P12-ML3-H001", tmp_path / "h001.png"), tmp_path / "h001.y4m")
    page = browser_factory(server, camera=video)
    shots = _shots(request)
    page.goto(f"{server}/shelf/{world.shelf_ids['K1-G01-T1']}")
    page.click("#start-stocktake button")
    page.evaluate("window.__samePage = true")
    page.evaluate("navigator.vibrate = (p) => { (window.__buzz = window.__buzz || []).push(p); return true; }")
    page.click("#scan-form .scan-cam")
    tick = page.locator("#tick")
    expect(tick).to_have_text("✓ P12-ML3-H001", timeout=20_000)
    expect(page.locator("#scan-form video")).to_be_visible()  # the camera stays open
    expect(page.locator("#scanned")).to_have_text("1")
    expect(page.locator("#found")).to_contain_text("P12-ML3-H001")
    page.screenshot(path=str(shots / "04-stocktake-camera.png"), full_page=True)
    page.click("#scan-form .scan-stop")
    for code, text in (
        ("P12-ML3-H002", "✓ P12-ML3-H002"),
        ("P12-ML3-H002", "P12-ML3-H002: đã quét"),
        ("P12-ML3-H004", "✓ P12-ML3-H004 — để sai chỗ, thuộc K1-G01-T2-V01"),
        ("P9-XX", "✗ Mã lạ: P9-XX — không có hộp nào mang nhãn này"),
    ):
        page.fill("#scan-form input[name=label]", code)
        page.press("#scan-form input[name=label]", "Enter")
        expect(tick).to_have_text(text)
        expect(page.locator("#scan-form input[name=label]")).to_have_value("")
    expect(page.locator("#scanned")).to_have_text("4")
    assert page.evaluate("window.__samePage") is True, "no scan reloaded the page"
    assert page.evaluate("window.__buzz.length") >= 4
    # confirming shows what it will record; H004 is recorded here, at slot V03
    changes = page.locator("#changes")
    expect(changes).to_contain_text("3 hộp được kiểm kê")
    expect(changes).to_contain_text("1 hộp thất lạc: P12-ML3-H003")
    page.select_option(f"select[name=place-{world.box_ids['P12-ML3-H004']}-slot]", label="K1-G01-T1-V03")
    assert page.is_checked(f"input[name=place-{world.box_ids['P12-ML3-H004']}][value=here]")
    page.screenshot(path=str(shots / "05-stocktake-confirm.png"), full_page=True)
    page.click("#confirm button[type=submit]")
    expect(page.locator(".flash")).to_have_text("Đã xác nhận: 2 hộp đúng chỗ, 1 thất lạc, 1 sai chỗ")
    page.goto(f"{server}/box/{world.box_ids['P12-ML3-H004']}")
    expect(page.locator("#now-at")).to_contain_text("K1-G01-T1-V03")
    expect(page.locator("#history")).to_contain_text("Kiểm kê (để sai vị trí)")


def test_no_button_that_cannot_work(
    server: str, world: World, browser_factory: Callable[..., Any], request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect

    # plain http on a LAN name is not a secure context: no camera button, the photo and typing still work
    port = server.rsplit(":", 1)[1]
    page = browser_factory(f"http://kho.test:{port}", extra_args=("--host-resolver-rules=MAP kho.test 127.0.0.1",))
    assert page.evaluate("window.isSecureContext") is False
    expect(page.locator("#code-in ~ .scan-tools .scan-photo")).to_be_visible()
    expect(page.locator("#code-in ~ .scan-tools .scan-cam")).to_be_hidden()
    page.screenshot(path=str(_shots(request) / "06-home-plain-http.png"), full_page=True)
    # without JavaScript nothing of the scanner shows; typing works
    page = browser_factory(server, js=False)
    expect(page.locator(".scan-tools")).to_be_hidden()
    page.fill("#code-in", "P12-ML3-H002")
    page.click("form[action='/go'] button[type=submit]")
    expect(page.locator("h1")).to_contain_text("P12-ML3-H002")


def test_errors_stay_on_the_form_in_vietnamese(
    server: str, world: World, browser_factory: Callable[..., Any], request: pytest.FixtureRequest
) -> None:
    from playwright.sync_api import expect

    page = browser_factory(server)
    shots = _shots(request)
    page.goto(f"{server}/box/{world.box_ids['P12-ML3-H004']}")
    page.fill("#act-move input[name=slot]", "P9-XX")
    page.click("#act-move form button[type=submit]")
    expect(page.locator("#err-slot")).to_have_text("Không có vị trí P9-XX: kiểm tra lại mã trên nhãn vị trí")
    expect(page.locator("#act-move input[name=slot]")).to_have_value("P9-XX")
    page.screenshot(path=str(shots / "07-move-error.png"), full_page=True)
    page.goto(f"{server}/no-such-page")
    expect(page.locator("h1")).to_have_text("Lỗi")
    page.screenshot(path=str(shots / "08-404.png"), full_page=True)
    page.click("#home-link")
    expect(page.locator("h1")).to_contain_text("Quét hoặc nhập mã")


def test_keeper_pages_pass_axe_and_speak_vietnamese(
    server: str,
    world: World,
    sessions: sessionmaker[Session],
    browser_factory: Callable[..., Any],
    request: pytest.FixtureRequest,
) -> None:
    with sessions() as s:
        st = sv.start_stocktake(s, "K1-G01-T1", "seed")
        sv.scan_box(s, st.id, "P12-ML3-H001")
        sv.check_out(s, sv.get_box(s, "P12-ML3-H003"), "Nguyễn Văn An", "reading_room", "seed")
        s.commit()
        st_id = st.id
    page = browser_factory(server)
    shots = _shots(request)
    box = world.box_ids["P12-ML3-H001"]
    pages = {
        "home": "/",
        "box": f"/box/{box}",
        "box-out": f"/box/{world.box_ids['P12-ML3-H003']}",
        "slot": f"/slot/{world.slot_ids['K1-G01-T1-V01']}",
        "shelf": f"/shelf/{world.shelf_ids['K1-G01-T1']}",
        "stocktake": f"/stocktake/{st_id}",
        "search": "/search?q=P12",
        "checkouts": "/checkouts",
        "room": f"/room/{world.room_id}",
        "error": "/box/99999",
    }
    problems = {}
    for name, url in pages.items():
        page.goto(server + url)
        page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, f"{name}: sideways scrolling"
        assert _transferred(page) <= 100 * 1024, name
        text = page.evaluate(
            "() => { const c = document.body.cloneNode(true); c.querySelector('a.lang')?.remove();"
            " return c.innerText; }"
        )
        assert not ENGLISH.findall(text), (name, ENGLISH.findall(text))
        page.add_script_tag(path=str(AXE))
        result = page.evaluate(
            "async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
            ".map(v => ({id: v.id, impact: v.impact, nodes: v.nodes.slice(0, 3).map(n => n.html)}))"
        )
        bad = [v for v in result if v["impact"] in ("serious", "critical")]
        if bad:
            problems[name] = bad
        page.screenshot(path=str(shots / f"axe-{name}.png"), full_page=True)
    assert not problems, problems
    # touch targets: every button, link button and summary is at least 44 px high
    page.goto(f"{server}/box/{box}")
    page.evaluate("document.querySelectorAll('details').forEach(d => d.open = true)")
    small = page.evaluate(
        "() => [...document.querySelectorAll('button, .btn, summary, select, input:not([type=hidden])')]"
        ".filter(e => e.offsetParent && e.getBoundingClientRect().height < 44 && !e.closest('.vh')"
        " && !['checkbox', 'radio', 'file'].includes(e.type)).map(e => e.outerHTML.slice(0, 80))"
    )
    assert not small, small
