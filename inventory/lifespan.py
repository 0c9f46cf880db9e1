"""Background work that lives as long as the web app: started on startup, stopped on shutdown."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from typing import Any


def run_with_app(app: Any, start: Callable[[], object], stop: Callable[[], object]) -> None:
    """Chain ``start`` / ``stop`` around the app's existing lifespan (others installed before keep theirs)."""
    inner = app.router.lifespan_context

    @asynccontextmanager
    async def lifespan(a: Any) -> AsyncIterator[Any]:
        start()
        try:
            async with inner(a) as state:
                yield state
        finally:
            stop()

    app.router.lifespan_context = lifespan
