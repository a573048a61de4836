"""A Content-Security-Policy on every page, pages without inline code, and private data files."""

from __future__ import annotations

import os
import re
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.urls import reverse

SRC = Path(__file__).resolve().parents[2] / "src" / "facturier"
FACTURIER = Path(sys.executable).with_name("facturier")
INLINE_CODE = [
    (re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I), "an inline <script>"),
    (re.compile(r"\son[a-z]+\s*=", re.I), "an inline event handler (on…=)"),
    (re.compile(r"\sstyle\s*=", re.I), "a style attribute"),
    (re.compile(r"<style(?![^>]*\bnonce=)[^>]*>", re.I), "a <style> block without the page's nonce"),
    (re.compile(r"hx-vals\s*=\s*['\"]\s*(js|javascript):|hx-on", re.I), "htmx code that needs eval"),
]


def _templates():
    return sorted(p for p in SRC.rglob("templates/**/*.html"))


def test_no_template_carries_inline_code():
    found = [f"{path.relative_to(SRC)}: {what}" for path in _templates() for pattern, what in INLINE_CODE
             if pattern.search(path.read_text(encoding="utf-8"))]
    assert len(_templates()) > 30
    assert found == []


def _policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: part for part in (p.strip() for p in header.split(";")) if part}


@pytest.mark.parametrize("name", ["web:dashboard", "web:document_new", "web:customers", "web:settings",
                                  "web:settings_mail", "web:otp_enrol"])
def test_every_screen_has_a_policy_without_inline_scripts(signed_in, name):
    response = signed_in.get(reverse(name))
    assert response.status_code == 200
    policy = _policy(response)
    assert policy["script-src"] == "script-src 'self'"
    assert "unsafe-inline" not in response["Content-Security-Policy"]
    assert "unsafe-eval" not in response["Content-Security-Policy"]
    assert policy["object-src"] == "object-src 'none'" and policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert '"allowEval": false' in response.content.decode()


@pytest.mark.parametrize("url", ["/login/", "/password/reset/", "/admin/login/"])
def test_public_pages_have_the_policy_too(client, db, url):
    assert "script-src 'self'" in client.get(url)["Content-Security-Policy"]


def test_the_portals_colour_is_a_style_block_with_this_pages_nonce(client, org):
    response = client.get(f"/portal/{org.slug}/login/")
    nonce = re.search(r"'nonce-([^']+)'", _policy(response)["style-src"]).group(1)
    assert f'<style nonce="{nonce}">:root {{ --accent: #3d4a5c; }}</style>' in response.content.decode()
    assert client.get(f"/portal/{org.slug}/login/")["Content-Security-Policy"] != response["Content-Security-Policy"]


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_database_is_created_0600_in_a_0700_data_folder(tmp_path):
    data = tmp_path / "fresh" / "data"
    env = {**os.environ, "FACTURIER_DATA_DIR": str(data)}
    env.pop("DATABASE_URL", None)
    subprocess.run([str(FACTURIER), "createcachetable"], env=env, check=True, timeout=120, capture_output=True)
    assert _mode(data) == 0o700
    files = sorted(data.glob("facturier.sqlite3*"))
    assert files and all(_mode(f) == 0o600 for f in files), [(f.name, oct(_mode(f))) for f in files]


def test_an_existing_world_readable_database_is_tightened(tmp_path):
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    (data / "facturier.sqlite3").touch(mode=0o644)
    env = {**os.environ, "FACTURIER_DATA_DIR": str(data)}
    env.pop("DATABASE_URL", None)
    subprocess.run([str(FACTURIER), "check"], env=env, check=True, timeout=120, capture_output=True)
    assert _mode(data) == 0o700 and _mode(data / "facturier.sqlite3") == 0o600


def test_caught_mail_is_kept_0600_in_0700_folders(settings, tmp_path):
    from facturier.delivery import catcher

    settings.DATA_DIR = tmp_path
    kept = catcher.store(7, mail_from="a@b.test", rcpt_tos=["c@d.test"], content=b"Subject: x\r\n\r\nbody")
    assert _mode(kept) == 0o600
    assert _mode(kept.parent) == 0o700 and _mode(catcher.root()) == 0o700
