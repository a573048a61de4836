"""Benchmark: the EN 16931 engine (build + XSD, parse, Factur-X unpack and container check, rules, schematron).

Writes bench/results/engine.json with the keys named in issue 3, and the `factur-x` library's
own XML check and `generate_from_binary` on the same invoice as the baseline of this run.
"""

from __future__ import annotations

import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _samples import sample_invoice  # noqa: E402

from facturier.engine.cii.read import read_cii  # noqa: E402
from facturier.engine.cii.write import write_cii  # noqa: E402
from facturier.engine.en16931.rules import check_rules  # noqa: E402
from facturier.engine.facturx.container import check_container  # noqa: E402
from facturier.engine.facturx.pack import pack_facturx  # noqa: E402
from facturier.engine.facturx.unpack import unpack_facturx  # noqa: E402
from facturier.engine.pdf.render import Attachment, RenderOptions, render_invoice  # noqa: E402
from facturier.engine.ubl.read import read_ubl  # noqa: E402
from facturier.engine.ubl.write import write_ubl  # noqa: E402
from facturier.engine.validation import run_rules, validate_xsd  # noqa: E402
from facturier.engine.xml import detect, parse_xml  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"


def p50_ms(fn, runs: int) -> float:
    fn()  # warm-up: caches, compiled schemas and stylesheets
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return round(statistics.median(samples) * 1000, 3)


def build_and_check(invoice):
    xml = write_cii(invoice)
    root = parse_xml(xml)
    report = validate_xsd(root, detect(root))
    assert report.passed, report.findings
    return xml


def visual_pdf() -> bytes:
    import typst

    source = Path(__file__).resolve().parent / "visual.typ"
    source.write_text('#set document(title: "Facture")\n#set page(paper: "a4")\n= Facture FA-2026-000123\n')
    try:
        return typst.compile(str(source), format="pdf", pdf_standards=["a-3b"])
    finally:
        source.unlink()


def main() -> None:
    ten, big = sample_invoice(10), sample_invoice(120)
    xml10 = build_and_check(ten)
    ubl10 = write_ubl(ten)
    pdf = pack_facturx(visual_pdf(), xml10, conformance_level="EN 16931")
    # The 1-page invoice as the project emits it: Typst visual with the XML attached, then the XMP.
    invoice_pdf = pack_facturx(render_invoice(ten, RenderOptions(attachments=(Attachment("factur-x.xml", xml10),))),
                               xml10, conformance_level="EN 16931")
    root10 = parse_xml(xml10)
    kind10 = detect(root10)
    results = {
        "cii_build_xsd_ms_p50_10": p50_ms(lambda: build_and_check(ten), 300),
        "cii_build_xsd_ms_p50_120": p50_ms(lambda: build_and_check(big), 100),
        "parse_ms_p50_10": p50_ms(lambda: read_cii(xml10), 300),
        "parse_ubl_ms_p50_10": p50_ms(lambda: read_ubl(ubl10), 300),
        "facturx_unpack_ms_p50": p50_ms(lambda: unpack_facturx(pdf), 300),
        "facturx_container_check_ms_p50": p50_ms(lambda: check_container(invoice_pdf), 300),
        "rules_ms_p50_10": p50_ms(lambda: check_rules(ten, french=True), 300),
        "schematron_ms_p50": p50_ms(lambda: run_rules(root10, kind10, french=True), 30),
    }
    try:
        from facturx import generate_from_binary, xml_check_xsd

        results["baseline_facturx_xsd_ms_p50"] = p50_ms(
            lambda: xml_check_xsd(xml10, flavor="factur-x", level="en16931"), 100
        )
        visual = visual_pdf()
        results["baseline_generate_from_binary_ms_p50"] = p50_ms(
            lambda: generate_from_binary(visual, xml10, check_xsd=False), 30
        )
        results["pack_ms_p50"] = p50_ms(lambda: pack_facturx(visual, xml10, conformance_level="EN 16931"), 100)
    except ImportError as e:  # the baseline is informative; the engine's figures stand alone
        results["baseline_error"] = str(e)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "engine.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
