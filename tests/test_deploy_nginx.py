"""deploy/nginx.conf: ``nginx -t`` accepts it, and a real nginx with it proxies a Streamlit server
(health check, HTTPS, the HTTP->HTTPS redirect and the websocket upgrade on /_stcore/stream).

Runs the repository's file with only the certificate paths, the listen ports and the upstream
ports replaced (a self-signed certificate and free ports in a temporary folder). Skipped with a
message when nginx or openssl is not installed (Debian: ``apt-get install nginx``).
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CONF = REPO / "deploy" / "nginx.conf"


def _nginx() -> str:
    found = shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/sbin/nginx") if Path(p).is_file()), None)
    if found is None or shutil.which("openssl") is None:
        msg = "deploy/nginx.conf is checked with nginx: apt-get install nginx (and openssl)"
        if os.environ.get("CI"):
            pytest.fail(f"{msg} (CI must not skip this test)")
        pytest.skip(msg)
    return str(found)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _site(tmp: Path, http_port: int, https_port: int, upstream: tuple[int, int]) -> Path:
    """deploy/nginx.conf with test certificates and ports, inside a minimal main config."""
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
                    "-subj", "/CN=127.0.0.1", "-keyout", str(tmp / "key.pem"), "-out",
                    str(tmp / "cert.pem")], check=True, capture_output=True)
    text = CONF.read_text()
    text = text.replace("/etc/ssl/certs/mineralmap.pem", str(tmp / "cert.pem"))
    text = text.replace("/etc/ssl/private/mineralmap.key", str(tmp / "key.pem"))
    text = re.sub(r"listen (\[::\]:)?80;", lambda m: f"listen {m.group(1) or ''}{http_port};"
                  if not m.group(1) else "", text)
    text = re.sub(r"listen (\[::\]:)?443 ", lambda m: f"listen {https_port} "
                  if not m.group(1) else "# ", text)
    text = text.replace("127.0.0.1:8501", f"127.0.0.1:{upstream[0]}")
    text = text.replace("127.0.0.1:8502", f"127.0.0.1:{upstream[1]}")
    (tmp / "site.conf").write_text(text)
    main = tmp / "main.conf"
    user = "user root;\n" if os.geteuid() == 0 else ""
    main.write_text(f"{user}pid {tmp}/nginx.pid;\nerror_log {tmp}/error.log;\nevents {{}}\n"
                    f"http {{\n    access_log off;\n    include {tmp}/site.conf;\n}}\n")
    return main


def test_nginx_accepts_the_config(tmp_path):
    nginx = _nginx()
    main = _site(tmp_path, _free_port(), _free_port(), (8501, 8502))
    out = subprocess.run([nginx, "-t", "-c", str(main), "-p", str(tmp_path)],
                         capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert "test is successful" in out.stderr


_TINY_APP = "import streamlit as st\nst.write('hello through nginx')\n"


@pytest.fixture
def streamlit_server(tmp_path):
    """A minimal Streamlit app (the proxy is what is tested, not mineralmap)."""
    app = tmp_path / "tiny_app.py"
    app.write_text(_TINY_APP)
    port = _free_port()
    log = tmp_path / "streamlit.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", str(app), "--server.port", str(port),
         "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=tmp_path, stdout=log.open("wb"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health",
                                        timeout=2) as r:
                if r.read().strip() == b"ok":
                    break
        except OSError:
            if proc.poll() is not None:
                pytest.fail(f"streamlit exited: {log.read_text()[-1500:]}")
            time.sleep(0.2)
    yield port
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_nginx_proxies_https_and_the_websocket(tmp_path, streamlit_server):
    from websockets.sync.client import connect

    nginx = _nginx()
    conf_dir = tmp_path / "nginx"
    conf_dir.mkdir()
    conf_dir.chmod(0o755)
    http_port, https_port = _free_port(), _free_port()
    # the second upstream is down: nginx must skip it (max_fails) and keep clients on the first
    main = _site(conf_dir, http_port, https_port, (streamlit_server, _free_port()))
    proc = subprocess.Popen([nginx, "-c", str(main), "-p", str(conf_dir), "-g",
                             "daemon off;"], stderr=subprocess.PIPE, text=True)
    try:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        body = b""
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and body != b"ok":
            try:
                c = http.client.HTTPSConnection("127.0.0.1", https_port, context=ctx, timeout=5)
                c.request("GET", "/_stcore/health")
                body = c.getresponse().read().strip()
            except OSError:
                time.sleep(0.2)
        assert body == b"ok"

        c = http.client.HTTPConnection("127.0.0.1", http_port, timeout=5)
        c.request("GET", "/some/page", headers={"Host": "mineralmap.test"})
        r = c.getresponse()
        assert r.status == 301 and r.getheader("Location") == "https://mineralmap.test/some/page"

        origin = f"https://127.0.0.1:{https_port}"
        with connect(f"wss://127.0.0.1:{https_port}/_stcore/stream", ssl=ctx, origin=origin,
                     subprotocols=["streamlit"], open_timeout=10) as ws:
            assert ws.response.status_code == 101
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        err = proc.stderr.read() if proc.stderr else ""
    assert "emerg" not in err, err
