"""HTTPS for the keeper pages (phones allow the camera only in a secure context): `kho serve` with a certificate
and key, and the demo's own certificate authority and LAN certificate."""

from __future__ import annotations

import os
import signal
import ssl
import subprocess
import sys
from pathlib import Path

import httpx
from cryptography import x509

from kho.cli.demo_cmd import _demo_https, where_to_look
from kho.localservers import free_port, port_open
from kho.settings import Settings
from kho.tls import ensure_demo_cert, lan_address
from tests.conftest import wait_for

KHO = str(Path(sys.executable).with_name("kho"))


def _trusting(ca: Path) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(ca))


def test_demo_certificate_covers_the_lan_address_and_is_reused(tmp_path: Path) -> None:
    folder = tmp_path / "tls"
    hosts = ("192.168.1.20", "localhost", "127.0.0.1")
    cert = ensure_demo_cert(folder, hosts)
    leaf = x509.load_pem_x509_certificate(cert.cert.read_bytes())
    san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    assert {str(n.value) for n in san} == set(hosts)
    ca = x509.load_pem_x509_certificate(cert.ca_cert.read_bytes())
    assert leaf.issuer == ca.subject and ca.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    assert oct(cert.key.stat().st_mode & 0o777) == "0o600"
    before = cert.cert.read_bytes()
    assert ensure_demo_cert(folder, hosts).cert.read_bytes() == before, "a certificate that still fits is reused"
    moved = ensure_demo_cert(folder, ("10.0.0.7", "localhost", "127.0.0.1"))
    assert moved.cert.read_bytes() != before and moved.ca_cert.read_bytes() == cert.ca_cert.read_bytes()
    # the demo's settings: served on the LAN, labels pointing at https://<LAN address>:<port>
    settings = Settings(state_dir=tmp_path / "state")
    https, phone = _demo_https(settings, 8443, explicit_base=False)
    lan = lan_address()
    assert https.web.tls_cert == str(phone.cert) and https.web.tls_key == str(phone.key)
    assert https.web.public_base_url == f"https://{lan or '127.0.0.1'}:8443"
    assert https.web.host == ("0.0.0.0" if lan else settings.web.host)
    from rich.console import Console

    console = Console(width=200, record=True)
    console.print(where_to_look({"web": 8443, "influx": 1, "mqtt": 2}, https, [], None, phone))
    text = console.export_text()
    assert f"{https.web.public_base_url}/kho-demo-ca.crt" in text and "Certificate Trust Settings" in text
    assert "Cài đặt chứng chỉ" in text


def test_kho_serve_speaks_https_with_a_certificate(tmp_path: Path) -> None:
    cert = ensure_demo_cert(tmp_path / "tls", ("localhost", "127.0.0.1"))
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("KHO_")}
    env.update({"KHO_STATE_DIR": str(tmp_path / "state"), "KHO_WEB__PORT": str(port), "COLUMNS": "200"})
    subprocess.run([KHO, "db", "upgrade"], env=env, check=True, capture_output=True, timeout=120)
    half = subprocess.run(
        [KHO, "serve", "--tls-cert", str(cert.cert)], env=env, capture_output=True, text=True, timeout=60
    )
    assert half.returncode == 1 and "--tls-key" in half.stderr and "Traceback" not in half.stderr
    log = tmp_path / "serve.log"
    env.update({"KHO_WEB__TLS_CERT": str(cert.cert), "KHO_WEB__TLS_KEY": str(cert.key)})
    proc = subprocess.Popen([KHO, "serve"], stdout=log.open("wb"), stderr=subprocess.STDOUT, env=env)
    try:

        def login_page() -> httpx.Response | None:
            assert proc.poll() is None, log.read_text()
            try:
                return httpx.get(f"https://127.0.0.1:{port}/login", verify=_trusting(cert.ca_cert), timeout=2)
            except httpx.HTTPError:
                return None

        r = wait_for(login_page, 60, log.read_text, interval_s=0.3)
        assert r.status_code == 200 and "Đăng nhập" in r.text
        assert f"https://127.0.0.1:{port}/" in log.read_text()
        try:
            httpx.get(f"https://127.0.0.1:{port}/login", timeout=5)  # the system's trust store does not know it
            raise AssertionError("an unknown certificate was accepted")
        except httpx.ConnectError:
            pass
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(30)
    assert not port_open(port)
