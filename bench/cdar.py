"""Benchmark: build and validate one life-cycle message (CDAR 212 Encaissée), as the seller sends it.

Writes bench/results/cdar.json:
- `cdar_build_validate_ms_p50`: `build` + `validate` (D22B XSD with lxml + BR-FR-CDV with Saxon)
  of one 212 message with two VAT rates, median of 200 runs after warm-up (target ≤ 5 ms);
  `cdar_build_validate_ms_p95` its 95th percentile, `cdar_build_validate_cpu_ms_p50` the CPU time;
- `cdar_xsd_checked`: whether the XSD was found (../shared/specs or FACTURIER_SPECS_DIR); without
  it the figure covers the rules only;
- `cdar_breakdown_ms_p50`: build, secure parse, XSD, rules, read back (`parse`);
- `cdar_naive_ms_p50`: the same check the naive way, as a baseline measured in the same run: the
  published XSLT compiled and the XSD loaded for every message (20 runs);
- `cdar_load_average`: the 1-minute load average when the run ended (the machine is shared).
"""

from __future__ import annotations

import json
import os
import statistics
import time
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from lxml import etree

from facturier.engine import cdar
from facturier.engine.cdar.validate import CDV_RULES, XSD_FILE, _xsd_findings
from facturier.engine.validation import schematron
from facturier.engine.validation.material import conformance_file
from facturier.engine.xml import parse_xml

RESULTS = Path(__file__).resolve().parent / "results"
RUNS = 200
WARM_UP = 30


def _message() -> cdar.CdarMessage:
    return cdar.status_message(
        status="212",
        invoice_number="FA-2026-00042",
        invoice_date=date(2026, 9, 1),
        seller=cdar.Company("100000009", "VENDEUR"),
        buyer=cdar.Company("200000008", "ACHETEUR"),
        at=datetime(2026, 10, 2, 10, 0),
        amounts_cashed=[cdar.AmountCashed(Decimal("20"), Decimal("1000.00")),
                        cdar.AmountCashed(Decimal("5.5"), Decimal("211.00"))],
    )


def _p(values: list[float], q: float) -> float:
    return round(sorted(values)[min(len(values) - 1, int(q * len(values)))], 3)


def _time(fn, runs: int) -> tuple[list[float], list[float]]:
    wall, cpu = [], []
    for _ in range(runs):
        w, c = time.perf_counter(), time.process_time()
        fn()
        wall.append((time.perf_counter() - w) * 1000)
        cpu.append((time.process_time() - c) * 1000)
    return wall, cpu


def main() -> dict:
    beside = Path(__file__).resolve().parents[2] / "shared" / "specs"  # ../shared/specs beside the checkout
    specs = os.environ.get("FACTURIER_SPECS_DIR") or str(beside)
    xsd_dir = cdar.xsd_dir_in(specs)
    message = _message()

    def build_validate() -> None:
        report = cdar.validate(cdar.build(message), xsd_dir=xsd_dir)
        assert report.ok, report.findings

    cdar.warm_up(xsd_dir)
    _time(build_validate, WARM_UP)
    wall, cpu = _time(build_validate, RUNS)

    data = cdar.build(message)
    root = parse_xml(data)
    parts = {
        "build": lambda: cdar.build(message),
        "secure_parse": lambda: parse_xml(data),
        "xsd": (lambda: _xsd_findings(root, xsd_dir)) if xsd_dir else None,
        "rules": lambda: schematron.run_rule_set(root, CDV_RULES),
        "read_back": lambda: cdar.parse(data),
    }
    breakdown = {name: statistics.median(_time(fn, RUNS)[0]) for name, fn in parts.items() if fn}

    def naive() -> None:
        from saxonche import PySaxonProcessor

        with schematron._saxon_lock:
            proc = schematron._saxon() if schematron._processor else PySaxonProcessor(license=False)
            path = conformance_file(CDV_RULES.path, CDV_RULES.title)
            exe = proc.new_xslt30_processor().compile_stylesheet(stylesheet_file=str(path))
            exe.transform_to_string(xdm_node=proc.parse_xml(xml_text=cdar.build(message).decode()))
        if xsd_dir:
            etree.XMLSchema(etree.parse(str(xsd_dir / XSD_FILE))).validate(etree.fromstring(data))

    naive_wall, _ = _time(naive, 20)
    result = {
        "cdar_build_validate_ms_p50": round(statistics.median(wall), 3),
        "cdar_build_validate_ms_p95": _p(wall, 0.95),
        "cdar_build_validate_cpu_ms_p50": round(statistics.median(cpu), 3),
        "cdar_xsd_checked": xsd_dir is not None,
        "cdar_breakdown_ms_p50": {k: round(v, 3) for k, v in breakdown.items()},
        "cdar_naive_ms_p50": round(statistics.median(naive_wall), 3),
        "cdar_load_average": round(os.getloadavg()[0], 2),
    }
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "cdar.json").write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
