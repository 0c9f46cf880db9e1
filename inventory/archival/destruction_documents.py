"""Scanned documents of a destruction file (the appraisal opinion, the head's decision, the destruction record):
accepted only when the bytes are a PDF or a JPEG, PNG or WebP image within the size limit, stored as 0600 files
under ``<state_dir>/archival/destructions/<code>/`` with the extension of their real type, and served with that
type. The fields of each step stay valid without them."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from inventory.archival.destruction import ensure_own
from inventory.archival.models import DestructionDocument, DestructionReview, DocumentKind
from inventory.db import utcnow
from inventory.errors import NotFound, RegistryError
from inventory.photos import check_photo
from inventory.photos import media_type as photo_media_type
from inventory.privatefiles import private_dir, write_private

MAX_BYTES = 10 * 1024 * 1024  # a scan of a few pages; under the request limit of the web app
KINDS = tuple(k.value for k in DocumentKind)
FOLDER = Path("archival") / "destructions"


def check_document(data: bytes) -> tuple[str, str]:
    """(extension, media type) of ``data`` if it is a PDF or an acceptable image; a RegistryError otherwise. The
    bytes decide, never the name or the type the client claims."""
    if not data:
        raise RegistryError("the document is empty", key="ar_doc_empty", field="file")
    if len(data) > MAX_BYTES:
        mb = MAX_BYTES // (1024 * 1024)
        raise RegistryError(f"the document is larger than {mb} MB", key="ar_doc_size", field="file", mb=mb)
    if data.startswith(b"%PDF-"):
        if b"%%EOF" not in data[-8192:]:  # scanners may append a little after it
            raise RegistryError("the PDF is cut short", key="ar_doc_truncated", field="file")
        return ".pdf", "application/pdf"
    try:
        ext = check_photo(data)
    except RegistryError as e:
        if e.key == "err_photo_type":
            raise RegistryError(
                "the document must be a PDF or a JPEG, PNG or WebP image", key="ar_doc_type", field="file"
            ) from None
        raise
    return ext, photo_media_type(ext)


def _safe(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9_-]", "_", name)


def _display_name(filename: str, kind: str, ext: str) -> str:
    """The uploaded name without any folder, ending in the real extension (a scan.jpg that is a PDF is
    offered as scan.pdf)."""
    base = re.split(r"[\\/]", filename or "")[-1].strip()
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = "".join(ch for ch in stem if ch.isprintable() and ch not in '"<>|:*?')[:150].strip()
    return f"{stem or kind}{ext}"


def attach(
    session: Session,
    review: DestructionReview,
    kind: str,
    data: bytes,
    filename: str,
    actor: str,
    state_dir: Path,
) -> DestructionDocument:
    """Store a scanned document of ``kind`` (appraisal | decision | record) on the destruction file."""
    ensure_own(session, review, actor)
    if kind not in KINDS:
        raise RegistryError(f"unknown document kind {kind!r}: use {', '.join(KINDS)}", key="ar_doc_kind")
    ext, mime = check_document(data)
    folder = private_dir(Path(state_dir) / FOLDER / _safe(review.code))
    stamp = utcnow().strftime("%Y%m%dT%H%M%S%f")
    path = folder / f"{stamp}-{kind}{ext}"
    write_private(path, data)
    try:
        doc = DestructionDocument(
            review_id=review.id,
            kind=kind,
            filename=_display_name(filename, kind, ext),
            stored=str(path.relative_to(state_dir)),
            media_type=mime,
            size=len(data),
            sha256=hashlib.sha256(data).hexdigest(),
            uploaded_by=actor,
        )
        session.add(doc)
        session.flush()
    except Exception:
        path.unlink(missing_ok=True)  # no row, no file
        raise
    return doc


def documents_of(session: Session, review: DestructionReview) -> list[DestructionDocument]:
    return list(
        session.scalars(
            select(DestructionDocument)
            .where(DestructionDocument.review_id == review.id)
            .order_by(DestructionDocument.id)
        )
    )


def get_document(session: Session, review: DestructionReview, doc_id: int, actor: str) -> DestructionDocument:
    """A document of the destruction file, for someone who may see the file (NotFound for another file's id)."""
    ensure_own(session, review, actor)
    doc = session.get(DestructionDocument, doc_id)
    if doc is None or doc.review_id != review.id:
        raise NotFound(f"no document {doc_id} in {review.code}")
    return doc


def document_path(state_dir: Path, doc: DestructionDocument) -> Path:
    """Where the bytes are; NotFound when the file is gone (a restore without the state directory)."""
    root = (Path(state_dir) / FOLDER).resolve()
    path = (Path(state_dir) / doc.stored).resolve()
    if root not in path.parents or not path.is_file():
        raise NotFound(f"the file of document {doc.id} is missing")
    return path
