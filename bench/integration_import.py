"""Benchmark: import of Factur-X PDFs with full validation, against a naive baseline, in the same run.

`run()` returns (and `python bench/integration_import.py` merges into bench/results/integration.json):

- `import_files_per_s`: Factur-X PDFs of 10 lines imported by `imports.services.import_files` on 2
  processes at once into one organisation on the embedded SQLite database — container checks, XSD,
  EN 16931, Factur-X and French rules (as `facturier einvoice validate --fr`), seller and customer
  matching, duplicate checks, the document and its lines written, the original PDF and its XML
  sealed and archived in the journal.
- `import_peak_mb`: the largest resident set of one importing process (memory stays flat: files are
  imported one at a time).
- `import_cpu_ms_per_file`: CPU time (`time.process_time()`, Saxon included: it runs in-process) the
  importing processes spent per file, the figure that does not depend on how loaded the machine is;
  `import_load_average` the 1-minute load average when the run ended (the machine is shared).
- `import_baseline_files_per_s`: the same files, 2 processes, through the `factur-x` library's
  `get_xml_from_pdf` + `xml_check_xsd` (XSD only, no business rules) and a naive ORM insert of the
  document and its lines.
"""

from __future__ import annotations

import dataclasses
import json
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

if "FACTURIER_DATA_DIR" not in os.environ:  # `make bench` gives a fresh one; alone, a temporary one
    os.environ["FACTURIER_DATA_DIR"] = tempfile.mkdtemp(prefix="bench-import-")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "facturier.config.settings")
os.environ.setdefault("FACTURIER_TASKS", "database")
sys.path.insert(0, str(Path(__file__).resolve().parent))

import django  # noqa: E402

django.setup()

RESULTS = Path(__file__).resolve().parent / "results"
FILES = int(os.environ.get("BENCH_IMPORT_FILES", "240"))
PROCESSES = 2
BATCH = 10  # files per import call, as an upload of several files
RULE_SETS = ("en16931-cii", "facturx-en16931", "fr-cii")


def _pdfs(count: int) -> list[bytes]:
    """`count` distinct Factur-X PDFs (one visual, each its own invoice XML and number)."""
    from _samples import sample_invoice

    from facturier.engine.cii.profiles import Profile
    from facturier.engine.cii.write import write_cii
    from facturier.engine.facturx.pack import pack_facturx
    from facturier.engine.pdf.render import Attachment, RenderOptions, render_invoice

    invoice = sample_invoice(10)
    xml = write_cii(invoice, profile=Profile.EN16931)
    visual = render_invoice(invoice, RenderOptions(attachments=(Attachment(
        filename="factur-x.xml", data=xml, relationship="Alternative", description="Factur-X"),)))
    out = []
    for i in range(count):
        numbered = dataclasses.replace(invoice, number=f"EXT-2026-{i:06d}")
        out.append(pack_facturx(visual, write_cii(numbered, profile=Profile.EN16931), conformance_level="EN 16931"))
    return out


def _organisation(slug: str):
    import datetime as dt

    from facturier.accounts.models import User
    from facturier.accounts.services import organisation_create

    user = User.objects.create_user(f"owner@{slug}.bench", "correct horse battery")
    organisation = organisation_create(
        slug=slug, name=slug, effective_from=dt.date(2020, 1, 1), owner=user,
        legal={"legal_name": "Atelier Numérique Lumière SAS", "legal_form": "SAS", "siren": "884123456",
               "siret": "88412345600011", "vat_number": "FR52884123456", "address_line1": "12 rue de la République",
               "postcode": "69002", "city": "Lyon"})
    return user.memberships.get(organisation=organisation)


def _peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _importer(member_id: int, files: list[bytes], start, done) -> None:
    from django.db import connections

    from facturier.accounts.models import Membership
    from facturier.engine.validation import warm_up
    from facturier.imports.services import IncomingFile, import_files

    connections.close_all()
    warm_up(RULE_SETS)  # the rule sets a French Factur-X EN 16931 invoice needs, compiled before the clock starts
    member = Membership.objects.select_related("organisation", "user").get(pk=member_id)
    start.wait()
    imported, cpu = 0, time.process_time()
    for at in range(0, len(files), BATCH):
        chunk = [IncomingFile(f"f{at + i}.pdf", data) for i, data in enumerate(files[at:at + BATCH])]
        batch = import_files(organisation=member.organisation, files=chunk, source="upload", by=member)
        imported += batch.imported_count
    done.put((time.perf_counter(), imported, _peak_mb(), time.process_time() - cpu))


def _baseline(member_id: int, files: list[bytes], start, done) -> None:
    import logging
    from decimal import Decimal

    from django.db import connections, transaction
    from facturx import get_xml_from_pdf, xml_check_xsd

    logging.getLogger("factur-x").setLevel(logging.WARNING)
    from lxml import etree

    from facturier.accounts.models import Membership
    from facturier.invoicing.models import Document, Line, Series

    connections.close_all()
    member = Membership.objects.select_related("organisation").get(pk=member_id)
    organisation = member.organisation
    series = Series.objects.get(organisation=organisation, code="BASE")
    customer = organisation.customers.get(code="BASE")
    ns = {"rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
          "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100"}
    start.wait()
    imported = 0
    for data in files:
        _name, xml = get_xml_from_pdf(data, check_xsd=False)
        xml_check_xsd(xml)
        root = etree.fromstring(xml)
        with transaction.atomic():
            document = Document.objects.create(organisation=organisation, series=series, customer=customer,
                                               number=root.findtext("rsm:ExchangedDocument/ram:ID", namespaces=ns))
            for position, item in enumerate(root.iterfind(".//ram:IncludedSupplyChainTradeLineItem", ns), 1):
                Line.objects.create(
                    document=document, position=position,
                    name=item.findtext(".//ram:SpecifiedTradeProduct/ram:Name", namespaces=ns),
                    quantity=Decimal(item.findtext(".//ram:BilledQuantity", namespaces=ns)),
                    unit_price=Decimal(item.findtext(".//ram:NetPriceProductTradePrice/ram:ChargeAmount",
                                                     namespaces=ns)),
                    net_amount=Decimal(item.findtext(".//ram:LineTotalAmount", namespaces=ns)))
        imported += 1
    done.put((time.perf_counter(), imported, _peak_mb(), time.process_time()))


def _race(target, member_id: int, files: list[bytes]) -> tuple[float, int, float, float]:
    """Files shared out to the processes, all started at once; (files per second, files done, peak MB,
    CPU ms per file)."""
    from django.db import connections

    connections.close_all()
    # Fresh processes (not forks of this one, which rendered the PDFs): each one's memory is its own work.
    context = multiprocessing.get_context("spawn")
    start, done = context.Barrier(PROCESSES + 1), context.Queue()
    workers = [context.Process(target=target, args=(member_id, files[i::PROCESSES], start, done))
               for i in range(PROCESSES)]
    for w in workers:
        w.start()
    start.wait()
    began = time.perf_counter()
    ends = [done.get(timeout=1800) for _ in workers]
    for w in workers:
        w.join()
    elapsed = max(end for end, _n, _mb, _cpu in ends) - began
    count = sum(n for _end, n, _mb, _cpu in ends)
    cpu_ms = 1000 * sum(cpu for _end, _n, _mb, cpu in ends) / max(count, 1)
    return round(count / elapsed, 1), count, max(mb for _end, _n, mb, _cpu in ends), round(cpu_ms, 1)


def run() -> dict:
    import uuid

    from django.core.management import call_command

    from facturier.invoicing.models import Series
    from facturier.parties.models import Address, Customer

    call_command("migrate", verbosity=0)
    files = _pdfs(FILES)
    member = _organisation(f"bench-import-{uuid.uuid4().hex[:8]}")
    per_s, imported, peak, cpu_ms = _race(_importer, member.pk, files)
    assert imported == FILES, f"{imported} of {FILES} imported"
    base = _organisation(f"bench-baseline-{uuid.uuid4().hex[:8]}")
    Series.objects.create(organisation=base.organisation, code="BASE", name="Baseline")
    customer = Customer.objects.create(organisation=base.organisation, code="BASE", name="Baseline customer")
    Address.objects.create(customer=customer, effective_from="2020-01-01", line1="1 rue", city="Lyon")
    load = round(os.getloadavg()[0], 1)
    baseline, done, _peak, _cpu = _race(_baseline, base.pk, files)
    assert done == FILES
    return {"import_files_per_s": per_s, "import_peak_mb": peak, "import_cpu_ms_per_file": cpu_ms,
            "import_load_average": load, "import_baseline_files_per_s": baseline,
            "import_bench_files": FILES, "import_bench_processes": PROCESSES}


def main() -> None:
    results = run()
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / "integration.json"
    merged = json.loads(path.read_text()) if path.exists() else {}
    merged.update(results)
    path.write_text(json.dumps(merged, indent=2, sort_keys=True) + "\n")
    print(json.dumps(results))


if __name__ == "__main__":
    main()
