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
    deadline = time.monotonic() + 240  # migrate + demo + simulators: minutes on a loaded 2-core machine
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


def signed_in(url: str):
    jar = http.cookiejar.CookieJar()
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login_page = browser.open(url + "/admin/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page).group(1)
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": "demo@facturier.test",
                                   "password": "demo", "next": "/admin/"}).encode()
    browser.open(urllib.request.Request(url + "/admin/login/?next=/admin/", data=form,
                                        headers={"Referer": url + "/admin/login/"})).read()
    return browser


def test_links_name_the_port_served_not_8000(served):
    url, _ = served
    assert not url.endswith(":8000")
    page = signed_in(url).open(url + "/portal-admin/branding/").read().decode()
    assert f'href="{url}/portal/demo/"' in page
    assert "127.0.0.1:8000" not in page


def test_the_links_address_follows_host_and_port_unless_configured(settings, monkeypatch):
    from facturier.config.management.commands.run import follow_served_address, served_base_url

    assert served_base_url("127.0.0.1", 8011) == "http://127.0.0.1:8011"
    assert served_base_url("0.0.0.0", 8011) == "http://127.0.0.1:8011"
    assert served_base_url("::", 8011) == "http://[::1]:8011"
    assert served_base_url("factu.lan", 9000) == "http://factu.lan:9000"
    monkeypatch.setenv("FACTURIER_BASE_URL", "")  # recorded, so the test's change is undone after it
    settings.FACTURIER_BASE_URL_CONFIGURED = False
    assert follow_served_address("factu.lan", 9000) == "http://factu.lan:9000"
    assert os.environ["FACTURIER_BASE_URL"] == "http://factu.lan:9000"  # what the worker it starts reads
    assert "factu.lan" in settings.ALLOWED_HOSTS
    settings.FACTURIER_BASE_URL_CONFIGURED, settings.FACTURIER_BASE_URL = True, "https://factures.example.fr"
    assert follow_served_address("127.0.0.1", 8011) == "https://factures.example.fr"


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
    assert 'class="msg error" role="alert"' in answer  # the company sign-in's error, with its throttle


def test_the_served_time_stamp_authority_answers_a_real_rfc3161_exchange(served):
    from facturier.engine.pdf.tsa import TimeStampClient, verify_token

    url, _ = served
    client = TimeStampClient(url + "/tsa/", allow_private=True)  # loopback on purpose: our own server
    token = client.timestamp(b"facture FA-2026-000001")  # the client verifies imprint, nonce and signature
    verify_token(token, data=b"facture FA-2026-000001")
    with pytest.raises(Exception, match="(?i)imprint|digest|match"):
        verify_token(token, data=b"another document")


def test_the_server_refuses_an_oversized_body_without_reading_it(served):
    """A 150 MiB POST announced to the sign-in page is answered 413 at once: nothing is spooled."""
    url, _ = served
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(b"POST /login/ HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=b\r\n"
                           b"Content-Length: 157286400\r\n\r\n" + b"x" * 1024)
        started = time.monotonic()
        answer = connection.recv(4096).decode("latin-1")
    assert answer.startswith("HTTP/1.1 413") and time.monotonic() - started < 5


def test_the_server_cuts_a_chunked_body_at_the_limit(served):
    url, _ = served
    host, port = url.removeprefix("http://").split(":")
    sent = 0
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.sendall(b"POST /login/ HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n")
        chunk = b"%x\r\n%s\r\n" % (8192, b"x" * 8192)
        try:
            while sent < 8 * 1024 * 1024:
                connection.sendall(chunk)
                sent += 8192
        except OSError:
            pass  # the server closed the connection: what we expect once it has answered
        connection.settimeout(10)
        answer = connection.recv(4096).decode("latin-1")
    assert answer.startswith("HTTP/1.1 413"), answer[:200]
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


def test_sigterm_to_run_alone_stops_it_and_its_worker(tmp_path):
    """A service manager stops `facturier run` with SIGTERM to that one process (not its group, as a
    terminal's Ctrl+C does): it must exit cleanly and take its worker with it, leaving no orphan."""
    import signal
    import sqlite3

    port = free_port()
    data_dir = tmp_path / "data"
    env = {**os.environ, "FACTURIER_DATA_DIR": str(data_dir), "FACTURIER_TASKS": "database"}
    env.pop("DATABASE_URL", None)
    process = subprocess.Popen([str(FACTURIER), "run", "--no-demo", "--port", str(port)], env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        database = data_dir / "facturier.sqlite3"
        workers: list[int] = []
        deadline = time.monotonic() + 240
        while not workers and time.monotonic() < deadline:
            assert process.poll() is None, process.stdout.read()
            if database.exists():
                try:
                    with sqlite3.connect(database, timeout=20) as db:
                        workers = [pid for (pid,) in db.execute(
                            "SELECT pid FROM facturier_config_worker WHERE stopped_at IS NULL")]
                except sqlite3.OperationalError:  # the table is not migrated yet
                    pass
            time.sleep(0.3)
        assert workers, "the worker never started"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
        for pid in workers:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.1)
            else:
                pytest.fail(f"the worker {pid} outlived `facturier run`")
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
