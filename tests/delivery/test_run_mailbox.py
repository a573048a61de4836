"""Out of the box: `facturier run` starts the mail catcher, the demo organisation sends to it through
the worker, and the message is read in the served application's mailbox."""

import http.cookiejar
import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from mailservers import free_port

FACTURIER = Path(sys.executable).with_name("facturier")

QUEUE = """
from facturier.accounts.models import Membership
from facturier.delivery.services import send_documents
from facturier.invoicing.models import Document
owner = Membership.objects.get(organisation__slug="demo", user__email="demo@facturier.test")
document = (Document.objects.filter(organisation=owner.organisation, customer__code="BOUL01").exclude(state="draft")
            .order_by("pk").first())
result = send_documents(by=owner, document_ids=[document.pk], allow_duplicates=True)
print("QUEUED", document.number, result.queued, [r.reason for r in result.refused])
"""


@pytest.fixture(scope="module")
def served(tmp_path_factory):
    port = free_port()
    data_dir = tmp_path_factory.mktemp("run-mail") / "data"
    env = {**os.environ, "FACTURIER_DATA_DIR": str(data_dir), "FACTURIER_TASKS": "database"}
    for name in ("DATABASE_URL", "FACTURIER_MAIL_CATCHER", "FACTURIER_MAIL_ALLOW_PRIVATE_HOSTS", "FACTURIER_BASE_URL"):
        env.pop(name, None)
    process = subprocess.Popen([str(FACTURIER), "run", "--port", str(port)], env=env, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while True:
        try:
            urllib.request.urlopen(url + "/login/", timeout=2)
            break
        except OSError:
            if process.poll() is not None:
                pytest.fail(f"facturier run stopped: {process.stdout.read()}")
            if time.monotonic() > deadline:
                os.killpg(process.pid, signal.SIGKILL)
                pytest.fail("facturier run did not answer within 120 s")
            time.sleep(0.3)
    yield url, env, data_dir
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)


def sign_in(url: str):
    browser = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    page = browser.open(url + "/login/").read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"csrfmiddlewaretoken": token, "username": "demo@facturier.test",
                                   "password": "demo"}).encode()
    browser.open(urllib.request.Request(url + "/login/", data=form, headers={"Referer": url + "/login/"}))
    return browser


def test_the_demo_sends_to_the_catcher_started_by_run_and_the_message_is_read_in_the_mailbox(served):
    url, env, data_dir = served
    queued = subprocess.run([str(FACTURIER), "shell", "-c", QUEUE], env=env, capture_output=True, text=True,
                            check=False, timeout=120)
    assert "QUEUED" in queued.stdout, queued.stdout + queued.stderr
    number = re.search(r"QUEUED (\S+) \[(\d+)\]", queued.stdout).group(1)

    browser = sign_in(url)
    deadline = time.monotonic() + 90  # the worker started by `facturier run` sends it
    while True:
        mailbox = browser.open(url + "/mail/").read().decode()
        if number in mailbox:
            break
        assert time.monotonic() < deadline, f"{number} never reached the mailbox:\n{mailbox[-2000:]}"
        time.sleep(1)
    assert "compta@boul01.test" in mailbox
    assert "vos réglages de messagerie envoient vers lui" in mailbox or "your mail settings send to it" in mailbox
    key = re.search(r'href="/mail/([^/"]+)/"', mailbox).group(1)
    shown = browser.open(f"{url}/mail/{key}/").read().decode()
    assert f"{number}.pdf" in shown
    attachment = browser.open(f"{url}/mail/{key}/attachments/0/")
    assert attachment.headers["Content-Type"] == "application/pdf"
    assert attachment.read().startswith(b"%PDF")
    assert list((data_dir / "mail-catcher").glob("org-*/*.eml"))
