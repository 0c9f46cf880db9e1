"""Serving an ASGI app with uvicorn on a background thread (the main thread keeps the signals)."""

from __future__ import annotations

import threading
import time
from typing import Any, Literal


class ThreadedServer:
    """uvicorn serving ``app`` on ``host:port`` from a daemon thread called ``name``."""

    def __init__(
        self,
        app: Any,
        host: str,
        port: int,
        *,
        name: str = "kho-asgi",
        lifespan: Literal["auto", "on", "off"] = "auto",
        log_level: str = "warning",
        **config: Any,
    ) -> None:
        import uvicorn

        cfg = uvicorn.Config(app, host=host, port=port, log_level=log_level, lifespan=lifespan, **config)
        # On a non-main thread uvicorn installs no signal handlers: stopping is the caller's job.
        self.server = uvicorn.Server(cfg)
        self._thread = threading.Thread(target=self.server.run, name=name, daemon=True)

    @property
    def port(self) -> int:
        """The port served."""
        return int(self.server.config.port)

    @property
    def url(self) -> str:
        """``http://host:port`` of the server."""
        return f"http://{self.server.config.host}:{self.port}"

    def start(self, timeout_s: float = 10.0) -> bool:
        """Start serving; False when the port could not be bound (or the app not started) within ``timeout_s``."""
        self._thread.start()
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline and self._thread.is_alive():
            if self.server.started:
                return True
            time.sleep(0.02)
        return False

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop serving and wait for the thread."""
        self.server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout_s)

    def __enter__(self) -> ThreadedServer:
        if not self.start():
            raise RuntimeError(f"could not serve on port {self.port}")
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
