"""Damage photos must be images (Pillow reads them) within size and pixel limits, and are served with their real
type."""

from __future__ import annotations

import base64
import io
import re
from collections.abc import Callable

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image

from inventory.errors import RegistryError
from inventory.limits import PHOTO_MAX_BYTES
from inventory.photos import check_photo
from tests.inventory.conftest import World, csrf_of, tiny_image

Client = Callable[..., TestClient]


def _bomb() -> bytes:
    """A small PNG file that claims 10,000 × 10,000 pixels."""
    buf = io.BytesIO()
    Image.new("1", (10_000, 10_000)).save(buf, format="PNG")
    return buf.getvalue()


def test_check_photo_takes_the_real_format_and_refuses_the_rest() -> None:
    assert check_photo(tiny_image("JPEG")) == ".jpg"
    assert check_photo(tiny_image("PNG")) == ".png"
    assert check_photo(tiny_image("WEBP")) == ".webp"
    for bad in (b"just some text, not a photo", tiny_image("GIF"), tiny_image("JPEG")[:40], b"\xff\xd8\xff\xe0 jpeg"):
        with pytest.raises(RegistryError, match="JPEG, PNG or WebP"):
            check_photo(bad)
    bomb = _bomb()
    assert len(bomb) < 100_000
    with pytest.raises(RegistryError, match="too many pixels"):
        check_photo(bomb)
    with pytest.raises(RegistryError, match="larger than"):
        check_photo(tiny_image("JPEG") + b"\0" * PHOTO_MAX_BYTES)


def test_upload_is_checked_and_served_with_its_real_type(
    make_app: Callable[..., FastAPI], client_of: Client, world: World
) -> None:
    c = client_of(make_app(), "keeper")
    box = world.box_ids["P12-ML3-H001"]
    tok = csrf_of(c)
    r = c.post(
        f"/box/{box}/damage",
        data={"csrf": tok, "kind": "water"},
        files={"photo": ("notes.jpg", b"a text file sent as a photo", "image/jpeg")},
    )
    assert r.status_code == 400 and "JPEG, PNG or WebP" in r.text
    png = tiny_image("PNG")
    # Claimed to be a JPEG, really a PNG: kept and served as the PNG it is.
    r = c.post(f"/box/{box}/damage", data={"csrf": tok, "kind": "water"}, files={"photo": ("p.jpg", png, "image/jpeg")})
    assert r.status_code == 303
    page = c.get(f"/box/{box}").text
    url = re.search(r'href="(/photos/P12-ML3-H001/[^"]+)"', page)
    assert url and url.group(1).endswith(".png")
    r = c.get(url.group(1))
    assert r.status_code == 200 and r.headers["content-type"] == "image/png" and r.content == png
    api = c.post(
        f"/api/inventory/boxes/{box}/damage",
        json={"kind": "mould", "photo_base64": base64.b64encode(b"<svg onload=alert(1)>").decode()},
        headers={"X-CSRF-Token": tok},
    )
    assert api.status_code == 400 and "JPEG, PNG or WebP" in api.json()["detail"]
