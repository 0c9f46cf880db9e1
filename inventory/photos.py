"""Damage photos: accepted only when Pillow reads them as a JPEG, PNG or WebP image within size and pixel limits;
stored 0600 under the state directory with the extension of their real format and served with its type."""

from __future__ import annotations

import io
import warnings

from PIL import Image, UnidentifiedImageError

from inventory.errors import RegistryError
from inventory.limits import PHOTO_MAX_BYTES, PHOTO_MAX_PIXELS

# Pillow format name → (extension, media type)
FORMATS = {"JPEG": (".jpg", "image/jpeg"), "PNG": (".png", "image/png"), "WEBP": (".webp", "image/webp")}
MEDIA_TYPES = dict(FORMATS.values())


def check_photo(data: bytes) -> str:
    """The file extension for ``data`` if it is an acceptable image; RegistryError with the reason otherwise."""
    if len(data) > PHOTO_MAX_BYTES:
        raise RegistryError(
            f"photo is larger than {PHOTO_MAX_BYTES // (1024 * 1024)} MB",
            key="err_photo_size",
            field="photo",
            mb=PHOTO_MAX_BYTES // (1024 * 1024),
        )
    try:
        with warnings.catch_warnings():
            # A decompression bomb is refused below by its pixel count, not by Pillow's warning.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=list(FORMATS)) as img:
                fmt, (w, h) = img.format or "", img.size
                if w * h > PHOTO_MAX_PIXELS:
                    raise RegistryError(
                        f"photo has too many pixels ({w}×{h}): at most {PHOTO_MAX_PIXELS:,}",
                        key="err_photo_pixels",
                        field="photo",
                        mp=PHOTO_MAX_PIXELS // 1_000_000,
                    )
                img.verify()
    except RegistryError:
        raise
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise RegistryError("photo must be a JPEG, PNG or WebP image", key="err_photo_type", field="photo") from None
    if fmt not in FORMATS:
        raise RegistryError("photo must be a JPEG, PNG or WebP image", key="err_photo_type", field="photo")
    return FORMATS[fmt][0]


def media_type(name: str) -> str:
    """The media type of a stored photo, from the extension ``check_photo`` gave it."""
    for ext, mime in MEDIA_TYPES.items():
        if name.endswith(ext):
            return mime
    return "application/octet-stream"
