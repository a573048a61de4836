"""An organisation's own Typst template: a folder of its own per render, a time and a memory limit.

The attacks are the ones of the security review: a template reading what another
organisation's render left behind, an endless loop holding every other render up, and a
string growing to half a gigabyte.
"""

from __future__ import annotations

import tempfile
import threading
import time

import pytest
from test_render import make_invoice, normalised, pdf_text

from facturier.engine.pdf import Attachment, RenderOptions, render_invoice
from facturier.engine.pdf.render import TemplateError, TemplateLimitError, TemplateLimits

SHOW_NUMBER = '#import "lib.typ": *\n#let d = invoice-data()\n#show: page-setup.with(d)\nNuméro : #d.number\n'
READ_LEFTOVER = '#let x = read("/attachment-0.bin")\nReste : #x\n'


@pytest.fixture
def own_tempdir(tmp_path, monkeypatch):
    """Scratch folders made while the test runs go to a folder the test can look into."""
    render_invoice(make_invoice())  # the shared compiler's own folder is made before, elsewhere
    folder = tmp_path / "scratch"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


def test_one_organisations_template_cannot_read_what_anothers_render_left(own_tempdir, tmp_path):
    secret = Attachment("factur-x.xml", b"<Invoice>SECRET-OF-ACME</Invoice>")
    acme = render_invoice(make_invoice(number="ACME-1"),
                          RenderOptions(custom_template=SHOW_NUMBER, attachments=(secret,)))
    assert "Numéro : ACME-1" in normalised(pdf_text(acme, tmp_path))
    with pytest.raises(TemplateError) as caught:
        render_invoice(make_invoice(number="GLOBEX-1"), RenderOptions(custom_template=READ_LEFTOVER))
    assert "SECRET" not in str(caught.value.detail) + caught.value.message.en
    globex = render_invoice(make_invoice(number="GLOBEX-1"), RenderOptions(custom_template=SHOW_NUMBER))
    assert "Numéro : GLOBEX-1" in normalised(pdf_text(globex, tmp_path))
    assert list(own_tempdir.iterdir()) == []  # each render's folder went with it


def test_a_template_cannot_read_outside_its_folder():
    with pytest.raises(TemplateError) as caught:
        render_invoice(make_invoice(), RenderOptions(custom_template='#read("../../../../etc/hostname")\n'))
    assert not isinstance(caught.value, TemplateLimitError)


def test_an_endless_loop_fails_within_the_time_limit_while_other_renders_go_on(tmp_path):
    loop = "#for i in range(100000) { for j in range(100000) { } }\n"
    limits = TemplateLimits(seconds=3)
    outcome: dict = {}

    def run_loop():
        started = time.perf_counter()
        try:
            render_invoice(make_invoice(), RenderOptions(custom_template=loop, template_limits=limits))
        except TemplateLimitError as error:
            outcome["error"] = error
        outcome["seconds"] = time.perf_counter() - started

    looping = threading.Thread(target=run_loop)
    looping.start()
    time.sleep(0.5)
    during = []
    while looping.is_alive() and len(during) < 5:
        started = time.perf_counter()
        pdf = render_invoice(make_invoice(number=f"FA-{len(during)}"))
        during.append(time.perf_counter() - started)
        assert f"FA-{len(during) - 1}" in pdf_text(pdf, tmp_path)
    assert looping.is_alive(), "the other renders should have finished while the loop still ran"
    looping.join(30)
    assert max(during) < 1.5
    error = outcome["error"]
    assert error.limit == "time"
    assert 3 <= outcome["seconds"] < 6
    assert "3 s" in error.message.en and "3 s" in error.message.fr


def test_a_huge_string_fails_by_the_memory_limit():
    doubling = '#let s = "x"\n#for i in range(40) { s = s + s }\n#s.len()\n'
    started = time.perf_counter()
    with pytest.raises(TemplateLimitError) as caught:
        render_invoice(make_invoice(), RenderOptions(
            custom_template=doubling, template_limits=TemplateLimits(seconds=30, memory_mb=512)))
    assert caught.value.limit == "memory"
    assert "512 MiB" in caught.value.message.en and "512 Mio" in caught.value.message.fr
    assert time.perf_counter() - started < 30


def test_a_custom_template_within_its_limits_renders_like_the_standard_one(tmp_path):
    source = '#import "lib.typ": *\n#invoice(invoice-data())\n'
    text = normalised(pdf_text(render_invoice(make_invoice(), RenderOptions(custom_template=source)), tmp_path))
    assert text == normalised(pdf_text(render_invoice(make_invoice()), tmp_path))
