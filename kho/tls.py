"""HTTPS for the keeper pages: phone browsers let a page use the camera only in a secure context.

``kho serve`` takes a certificate and key (``web.tls_cert``/``web.tls_key``). For ``kho demo --https`` this module
makes a small private certificate authority and a server certificate for this machine's LAN address (kept in
``<state_dir>/tls/`` and reused while it still covers the address); a phone that installs the CA certificate
trusts the demo's pages.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import socket
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CA_DAYS = 825
CERT_DAYS = 397  # the longest validity phone browsers accept for a server certificate


@dataclass(frozen=True)
class DemoCert:
    """Files of the demo's certificate authority and server certificate, and the names it is valid for."""

    ca_cert: Path
    cert: Path
    key: Path
    hosts: tuple[str, ...]


def lan_address() -> str | None:
    """This machine's address on its LAN (the one a phone on the same network reaches), or None when offline.
    A UDP "connect" only picks the outgoing interface: no packet is sent."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("192.0.2.1", 9))  # TEST-NET-1: never routed anywhere
            addr = str(s.getsockname()[0])
        except OSError:
            return None
    return None if addr.startswith("127.") or addr == "0.0.0.0" else addr


def _san(hosts: tuple[str, ...]) -> x509.SubjectAlternativeName:
    names: list[x509.GeneralName] = []
    for h in hosts:
        try:
            names.append(x509.IPAddress(ipaddress.ip_address(h)))
        except ValueError:
            names.append(x509.DNSName(h))
    return x509.SubjectAlternativeName(names)


def _covers(cert_file: Path, hosts: tuple[str, ...], now: dt.datetime) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(cert_file.read_bytes())
        san = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (OSError, ValueError, x509.ExtensionNotFound):
        return False
    have = {str(n.value) for n in san}
    return set(hosts) <= have and cert.not_valid_after_utc > now + dt.timedelta(days=7)


def _write_key(path: Path, key: ec.EllipticCurvePrivateKey) -> None:
    path.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    path.chmod(0o600)


def ensure_demo_cert(folder: Path, hosts: tuple[str, ...]) -> DemoCert:
    """The demo's CA and a server certificate for ``hosts`` (IP addresses or names) under ``folder``; made now
    unless the existing one still covers them."""
    folder.mkdir(parents=True, exist_ok=True)
    ca_cert, ca_key_file = folder / "kho-demo-ca.crt", folder / "ca.key"
    cert_file, key_file = folder / "server.crt", folder / "server.key"
    now = dt.datetime.now(dt.UTC)
    if ca_cert.is_file() and ca_key_file.is_file():
        ca = x509.load_pem_x509_certificate(ca_cert.read_bytes())
        loaded = serialization.load_pem_private_key(ca_key_file.read_bytes(), password=None)
        assert isinstance(loaded, ec.EllipticCurvePrivateKey)
        ca_key = loaded
    else:
        ca_key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"kho demo CA ({socket.gethostname()})")])
        ca = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(ca_key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=CA_DAYS))
            .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
            .add_extension(x509.KeyUsage(False, False, False, False, False, True, True, False, False), critical=True)
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        _write_key(ca_key_file, ca_key)
        ca_cert.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    if not (key_file.is_file() and _covers(cert_file, hosts, now)):
        key = ec.generate_private_key(ec.SECP256R1())
        cert = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, hosts[0])]))
            .issuer_name(ca.subject)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(minutes=5))
            .not_valid_after(now + dt.timedelta(days=CERT_DAYS))
            .add_extension(_san(hosts), critical=False)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(x509.KeyUsage(True, False, False, False, False, False, False, False, False), critical=True)
            .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()), critical=False)
            .sign(ca_key, hashes.SHA256())
        )
        _write_key(key_file, key)
        cert_file.write_bytes(
            cert.public_bytes(serialization.Encoding.PEM) + ca.public_bytes(serialization.Encoding.PEM)
        )
    return DemoCert(ca_cert, cert_file, key_file, hosts)


PHONE_TRUST_STEPS = (
    "Android: Cài đặt → Bảo mật → Mã hóa và thông tin xác thực → Cài đặt chứng chỉ → Chứng chỉ CA / "
    "Settings → Security → Encryption & credentials → Install a certificate → CA certificate.",
    "iPhone: mở tệp bằng Safari → Cài đặt hồ sơ; rồi Cài đặt → Cài đặt chung → Giới thiệu → "
    "Cài đặt tin cậy chứng chỉ → bật / open it in Safari → install the profile; then Settings → General → "
    "About → Certificate Trust Settings → turn it on.",
)
