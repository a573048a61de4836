"""`facturier run` (what `make run` starts) on a fresh data directory: a page, and the demo login."""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

FACTURIER = Path(sys.executable).with_name("facturier")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    """One `facturier run` for the module: starting it (migrate, demo) is the slow part."""
    port = free_port()
    data_dir = tmp_path_factory.mktemp("run") / "data"
    env = {**os.environ, "FACTURIER_DATA_DIR": str(data_dir), "FACTURIER_TASKS": "database"}
    env.pop("DATABASE_URL", None)
    process = subprocess.Popen([str(FACTURIER), "run", "--port", str(port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(url + "/admin/login/", timeout=2)
            break
        except OSError:
            if process.poll() is not None:
                pytest.fail(f"facturier run stopped: {process.stdout.read()}")
            time.sleep(0.3)
    else:
        process.kill()
        pytest.fail("facturier run did not answer within 90 s")
    yield url, process
    os.killpg(process.pid, 15)
    process.wait(timeout=20)


def test_run_serves_the_product_and_the_demo_login_works(served):
    url, process = served
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_page = browser.open(url + "/admin/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": "demo@facturier.test",
                                   "password": "demo", "next": "/admin/"}).encode()
    request = urllib.request.Request(url + "/admin/login/?next=/admin/", data=form,
                                     headers={"Referer": url + "/admin/login/"})
    home = browser.open(request).read().decode()
    assert "demo@facturier.test" in home or "Camille Durand" in home
    documents = browser.open(url + "/admin/invoicing/document/").read().decode()
    assert "FA-" in documents


def test_a_wrong_password_is_refused(served):
    url, _ = served
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_page = browser.open(url + "/admin/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": "demo@facturier.test",
                                   "password": "wrong"}).encode()
    answer = browser.open(urllib.request.Request(url + "/admin/login/", data=form,
                                                 headers={"Referer": url + "/admin/login/"})).read().decode()
    assert "errornote" in answer


def test_the_served_time_stamp_authority_answers_a_real_rfc3161_exchange(served):
    from facturier.engine.pdf.tsa import TimeStampClient, verify_token

    url, _ = served
    client = TimeStampClient(url + "/tsa/", allow_private=True)  # loopback on purpose: our own server
    token = client.timestamp(b"facture FA-2026-000001")  # the client verifies imprint, nonce and signature
    verify_token(token, data=b"facture FA-2026-000001")
    with pytest.raises(Exception, match="(?i)imprint|digest|match"):
        verify_token(token, data=b"another document")


def test_a_worker_killed_with_sigkill_is_started_again_by_run(served, tmp_path_factory):
    import signal
    import sqlite3

    url, process = served
    database = next(Path(tmp_path_factory.getbasetemp()).glob("run*/data/facturier.sqlite3"))

    def live_workers() -> list[int]:
        with sqlite3.connect(database, timeout=20) as db:
            pids = [pid for (pid,) in db.execute("SELECT pid FROM facturier_config_worker WHERE stopped_at IS NULL")]
        alive = []
        for pid in pids:
            try:
                os.kill(pid, 0)
                alive.append(pid)
            except ProcessLookupError:
                pass
        return alive

    deadline = time.monotonic() + 60
    while not live_workers() and time.monotonic() < deadline:
        time.sleep(0.2)
    [first] = live_workers()
    os.kill(first, signal.SIGKILL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and not [p for p in live_workers() if p != first]:
        time.sleep(0.2)
    assert [p for p in live_workers() if p != first], "the worker was not started again"
    assert process.poll() is None
