"""The archival web part: pages and JSON API in one router (mounted by ``kho.app``)."""

from __future__ import annotations

from fastapi import APIRouter

from inventory.archival import api, pages, retention_pages

router = APIRouter()
router.include_router(api.router)
router.include_router(pages.router)
router.include_router(retention_pages.router)
