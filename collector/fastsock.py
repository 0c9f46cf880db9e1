"""A read-buffered socket for paho: one ``recv`` syscall per 64 KiB instead of several per MQTT packet.

paho reads each packet's header byte by byte; at thousands of messages per second those syscalls dominate.
paho checks ``pending()`` before waiting in ``select`` (it exists for TLS sockets), so buffered bytes are
never stranded. Installed from ``on_connect`` for plain TCP only.
"""

from __future__ import annotations

import socket
from typing import Any

CHUNK = 65536


class BufferedSocket:
    """Wraps a connected socket; everything but ``recv``/``pending`` is delegated."""

    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        self._buf = b""
        self._pos = 0

    def pending(self) -> int:
        """Bytes already read from the kernel and not yet consumed."""
        return len(self._buf) - self._pos

    def recv(self, bufsize: int) -> bytes:
        """Serve from the buffer; refill with one large read when it is empty."""
        if self._pos >= len(self._buf):
            data = self._sock.recv(max(bufsize, CHUNK))
            if len(data) <= bufsize:
                return data
            self._buf, self._pos = data, 0
        end = self._pos + bufsize
        out = self._buf[self._pos:end]
        self._pos = min(end, len(self._buf))
        if self._pos >= len(self._buf):
            self._buf, self._pos = b"", 0
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


def install(client: Any) -> bool:
    """Wrap ``client``'s plain TCP socket (call from ``on_connect``); False when not applicable."""
    sock = getattr(client, "_sock", None)
    if type(sock) is not socket.socket:
        return False
    client._sock = BufferedSocket(sock)
    return True
