"""Benchmark: invoice PDFs, Factur-X and PAdES seals (engine only, no database).

Writes bench/results/documents.json with the keys of issue 4. The baseline of the same run
is the common Python stack on the same invoice: WeasyPrint HTML → PDF/A-3b, the `factur-x`
library's `generate_from_binary`, and stock pyHanko signing.
"""

from __future__ import annotations

import json
import multiprocessing
import resource
import statistics
import sys
import time
from dataclasses import replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _samples import sample_invoice  # noqa: E402

from facturier.engine.cii.write import write_cii  # noqa: E402
from facturier.engine.facturx.pack import pack_facturx  # noqa: E402
from facturier.engine.pdf.certificates import load_pkcs12, make_self_signed  # noqa: E402
from facturier.engine.pdf.render import Attachment, RenderOptions, render_invoice  # noqa: E402
from facturier.engine.pdf.seal import Sealer  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results"
PASSWORD = "bench"
BATCH = 1000


def p50_ms(fn, runs: int) -> float:
    fn()
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t)
    return round(statistics.median(samples) * 1000, 3)


def facturx(invoice, *, seal_space: bool = False) -> bytes:
    xml = write_cii(invoice)
    attachments = (Attachment(filename="factur-x.xml", data=xml),)
    pdf = render_invoice(invoice, RenderOptions(attachments=attachments, seal_space=seal_space))
    return pack_facturx(pdf, xml, conformance_level="EN 16931")


_sealer: Sealer | None = None


def _worker_init(pkcs12: bytes) -> None:
    global _sealer  # noqa: PLW0603 — one sealer per worker process, built once
    _sealer = Sealer(load_pkcs12(pkcs12, PASSWORD), level="B-B")


def _sealed_one(number: int) -> int:
    invoice = replace(sample_invoice(10), number=f"FA-2026-{number:06d}")
    sealed = _sealer.seal(facturx(invoice, seal_space=True), reason="Facture", location="Lyon")
    return len(sealed)


def _peak_mb(_: int) -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def batch(pkcs12: bytes) -> tuple[float, float]:
    with multiprocessing.get_context("spawn").Pool(2, initializer=_worker_init, initargs=(pkcs12,)) as pool:
        pool.map(_sealed_one, range(20))  # warm both workers
        started = time.perf_counter()
        pool.map(_sealed_one, range(BATCH), chunksize=25)
        elapsed = time.perf_counter() - started
        peaks = pool.map(_peak_mb, range(8), chunksize=1)
    return round(BATCH / elapsed, 1), round(max(peaks), 1)


BASELINE_CSS = """
@page { size: A4; margin: 18mm 16mm 20mm; @bottom-right { content: "Page " counter(page) " / " counter(pages); } }
body { font-family: serif; font-size: 9.5pt; color: #222; }
header { display: flex; justify-content: space-between; }
h1 { color: #1f4e79; font-size: 20pt; margin: 0; }
.parties { display: flex; gap: 12mm; margin: 8mm 0; } .box { flex: 1; background: #f2f5f9; padding: 4mm; }
table { width: 100%; border-collapse: collapse; } thead { display: table-header-group; }
th { background: #1f4e79; color: white; text-align: left; padding: 2mm; }
td { border-bottom: 0.3pt solid #ccc; padding: 1.5mm 2mm; } td.n { text-align: right; }
.totals { width: 45%; margin-left: auto; margin-top: 6mm; } .due { background: #1f4e79; color: white; }
footer { font-size: 7.5pt; color: #666; margin-top: 10mm; }
"""


def baseline_html(invoice) -> str:
    """The same invoice as an HTML page a team would write for WeasyPrint: same blocks, same table."""
    rows = "".join(
        f"<tr><td>{line.id}</td><td>{line.item.name}</td><td class=n>{line.quantity}</td><td>{line.unit}</td>"
        f"<td class=n>{line.price.net_price} €</td><td class=n>{line.vat.rate} %</td>"
        f"<td class=n>{line.net_amount} €</td></tr>" for line in invoice.lines)
    vat = "".join(f"<tr><td>{b.category}</td><td class=n>{b.rate} %</td><td class=n>{b.taxable_amount} €</td>"
                  f"<td class=n>{b.tax_amount} €</td></tr>" for b in invoice.vat_breakdown)
    notes = "".join(f"<p>{note.text}</p>" for note in invoice.notes)
    seller, buyer, t = invoice.seller, invoice.buyer, invoice.totals
    return (
        f"<html><head><style>{BASELINE_CSS}</style></head><body><header><div><strong>{seller.name}</strong><br>"
        f"{seller.address.line1}<br>{seller.address.post_code} {seller.address.city}<br>SIREN "
        f"{seller.legal_registration.value} · TVA {seller.vat_id}</div><div><h1>FACTURE</h1>N° {invoice.number}"
        f"<br>Date {invoice.issue_date:%d/%m/%Y}<br>Échéance {invoice.due_date:%d/%m/%Y}</div></header>"
        f"<div class=parties><div class=box><strong>{buyer.name}</strong><br>{buyer.address.line1}<br>"
        f"{buyer.address.post_code} {buyer.address.city}</div><div class=box>"
        f"Commande {invoice.purchase_order_reference}"
        f"</div></div><table><thead><tr><th>Réf</th><th>Désignation</th><th>Qté</th><th>Unité</th><th>P.U. HT</th>"
        f"<th>TVA</th><th>Montant HT</th></tr></thead><tbody>{rows}</tbody></table><table class=totals>{vat}"
        f"<tr><td>Total HT</td><td class=n colspan=3>{t.tax_exclusive} €</td></tr><tr><td>TVA</td>"
        f"<td class=n colspan=3>{t.tax_total} €</td></tr><tr class=due><td>Net à payer</td>"
        f"<td class=n colspan=3>{t.amount_due} €</td></tr></table>{notes}<footer>{seller.name} · {seller.legal_form}"
        f"</footer></body></html>")


def baseline(invoice, pkcs12: bytes) -> float | None:
    """WeasyPrint + factur-x + stock pyHanko (visible stamp), as a team would assemble them."""
    try:
        import weasyprint
        from facturx import generate_from_binary
        from pyhanko import stamp
        from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
        from pyhanko.sign import fields, signers
    except ImportError:
        return None
    import io

    html = baseline_html(invoice)
    xml = write_cii(invoice)
    p12 = Path("/tmp/facturier-bench.p12")
    p12.write_bytes(pkcs12)

    def run():
        pdf = weasyprint.HTML(string=html).write_pdf(pdf_variant="pdf/a-3b")
        fx = generate_from_binary(pdf, xml, check_xsd=False)
        signer = signers.SimpleSigner.load_pkcs12(str(p12), passphrase=PASSWORD.encode())
        writer = IncrementalPdfFileWriter(io.BytesIO(fx))
        fields.append_signature_field(writer, fields.SigFieldSpec("Sig", box=(360, 30, 560, 80), on_page=-1))
        out = io.BytesIO()
        signers.PdfSigner(signers.PdfSignatureMetadata(field_name="Sig"), signer=signer,
                          stamp_style=stamp.TextStampStyle(stamp_text="Signé électroniquement par %(signer)s")
                          ).sign_pdf(writer, output=out)
        return out.getvalue()

    return p50_ms(run, 10)


def main() -> None:
    one, four = sample_invoice(10), sample_invoice(120)
    pkcs12 = make_self_signed("DEMO Bench", "Facturier", days=30, password=PASSWORD)
    sealer = Sealer(load_pkcs12(pkcs12, PASSWORD), level="B-B")
    one_pdf = facturx(one)
    results = {
        "render_ms_p50_1p": p50_ms(lambda: render_invoice(one, RenderOptions()), 100),
        "facturx_ms_p50_1p": p50_ms(lambda: facturx(one), 100),
        "seal_only_ms_p50_1p": p50_ms(lambda: sealer.seal(one_pdf, reason="Facture", location="Lyon"), 100),
        "sealed_ms_p50_1p": p50_ms(
            lambda: sealer.seal(facturx(one, seal_space=True), reason="Facture", location="Lyon"), 100),
        "facturx_ms_p50_4p": p50_ms(lambda: facturx(four), 30),
    }
    results["batch_sealed_per_s_2proc"], results["worker_peak_mb"] = batch(pkcs12)
    base = baseline(one, pkcs12)
    if base is not None:
        results["baseline_ms_p50_1p"] = base
        results["speedup_vs_baseline"] = round(base / results["sealed_ms_p50_1p"], 1)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "documents.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
