"""Outgoing notification URLs (webhooks, SMS gateways): where they may point, and how they are logged.

A webhook or gateway URL is entered by a manager, but the request is made by the kho server, from inside
the archive's network: a URL that resolves to loopback, link-local (cloud metadata at 169.254.169.254),
private or otherwise non-public addresses would let that person reach services only the server can reach.
Such URLs are refused unless the administrator allows them in settings (a gateway on the LAN).
URLs are logged and recorded without their query string and user info, which often carry API keys.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

Resolver = Callable[[str, int], list[str]]


class UnsafeUrl(ValueError):
    """The URL may not be used for an outgoing notification; the message says why (without secrets)."""


def _resolve(host: str, port: int) -> list[str]:
    infos: list[Any] = socket.getaddrinfo(host, port, proto=socket.IPPROTO_TCP)
    return [str(info[4][0]) for info in infos]


def redact(url: str) -> str:
    """``url`` without user info, query string and fragment, safe to log: ``https://host/path?…``."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "<invalid URL>"
    if ":" in host:
        host = f"[{host}]"
    tail = "?…" if parts.query else ""
    return f"{parts.scheme}://{host}{port}{parts.path}{tail}"


def loggable(address: str) -> str:
    """A contact address as it may appear in logs: URLs redacted, other addresses as they are."""
    return redact(address) if address.lower().startswith(("http://", "https://")) else address


def _not_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return (
        ip.is_loopback
        or ip.is_link_local
        or ip.is_private
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
        or not ip.is_global
    )


def check_url(
    url: str, *, allow_private: bool = False, resolve: Resolver = _resolve, unresolved_ok: bool = False
) -> str:
    """``url`` when it is an http(s) URL whose host resolves only to public addresses, else UnsafeUrl.

    With ``allow_private`` only the form is checked. The check runs when a contact is added and again
    before every request, so a name that later resolves elsewhere is caught at send time. ``unresolved_ok``
    (adding a contact): a name that does not resolve yet is accepted — an installation may register its contacts
    before it reaches the internet — and is checked again when a message goes out.
    """
    try:
        parts = urlsplit(url)
        host = parts.hostname
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise UnsafeUrl("the URL is not valid") from None
    if parts.scheme not in ("http", "https") or not host:
        raise UnsafeUrl(f"{redact(url)}: only http:// and https:// URLs with a host name are allowed")
    if any(ch.isspace() for ch in url):
        raise UnsafeUrl(f"{redact(url)}: the URL may not contain spaces or line breaks")
    if allow_private:
        return url
    try:
        addresses = [ipaddress.ip_address(host)]
    except ValueError:
        try:
            addresses = [ipaddress.ip_address(a.split("%")[0]) for a in resolve(host, port)]
        except (OSError, UnicodeError):
            if unresolved_ok:
                return url
            raise UnsafeUrl(f"{redact(url)}: the host name {host} does not resolve") from None
    bad = sorted({str(a) for a in addresses if _not_public(a)})
    if bad or not addresses:
        raise UnsafeUrl(
            f"{redact(url)}: {host} resolves to a loopback, link-local or private address ({', '.join(bad)}); "
            "an administrator can allow such addresses in settings (allow_private)"
        )
    return url
