"""Benchmark: validating a 10,000-line CII invoice as `facturier einvoice validate` does.

Reads the file within the default limits, parses it once, checks the XSD, runs the official
rules (Saxon) and the model rules. Runs in a child process so that its peak memory (Saxon's
native heap included) is that of the validation alone. Adds to bench/results/engine.json:
- validate_10k_lines_s: wall time of one validation, rule sets already compiled (the
  median of three runs);
- validate_10k_lines_cpu_s: the CPU time of that validation (all threads), which a busy
  machine does not inflate;
- validate_10k_lines_cold_s: the same in a fresh process, compiling the rule sets first;
- validate_10k_lines_peak_mb: the peak resident memory of a fresh process that validates
  the invoice once (as `facturier einvoice validate` does), Saxon's heap included;
- validate_10k_lines_breakdown_s: where the time goes (read, parse, XSD, official rules,
  model rules).
"""

from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
LINES = 10_000


def once(path: str) -> None:
    """One validation in a fresh process: its wall time and its peak memory."""
    from facturier.engine.cii.read import read_cii
    from facturier.engine.en16931.rules import check_rules
    from facturier.engine.validation import validate
    from facturier.engine.xml import read_bounded

    started = time.perf_counter()
    xml = read_bounded(path)
    report = validate(xml)
    model = check_rules(read_cii(xml))
    assert report.passed and model.passed
    print(json.dumps({
        "validate_10k_lines_cold_s": round(time.perf_counter() - started, 3),
        "validate_10k_lines_peak_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }))


def child(path: str) -> None:
    sys.path.insert(0, str(HERE))
    from facturier.engine.cii.read import read_cii
    from facturier.engine.en16931.rules import check_rules
    from facturier.engine.validation import run_rules, validate, validate_xsd
    from facturier.engine.xml import detect, parse_xml, read_bounded

    cpu: list[float] = []

    def run_once() -> float:
        started, cpu_started = time.perf_counter(), time.process_time()
        xml = read_bounded(path)
        report = validate(xml)
        model = check_rules(read_cii(xml))
        assert report.passed and model.passed, [f.rule for f in report.fatal + model.fatal]
        cpu.append(time.process_time() - cpu_started)
        return time.perf_counter() - started

    run_once()  # compiles the rule sets
    runs = [run_once() for _ in range(3)]
    t = time.perf_counter()
    xml = read_bounded(path)
    t_read = time.perf_counter() - t
    t = time.perf_counter()
    root = parse_xml(xml)
    kind = detect(root)
    t_parse = time.perf_counter() - t
    t = time.perf_counter()
    validate_xsd(root, kind)
    t_xsd = time.perf_counter() - t
    t = time.perf_counter()
    run_rules(root, kind)
    t_rules = time.perf_counter() - t
    t = time.perf_counter()
    check_rules(read_cii(root))
    t_model = time.perf_counter() - t
    print(json.dumps({
        "validate_10k_lines_s": round(statistics.median(runs), 3),
        "validate_10k_lines_cpu_s": round(statistics.median(cpu[1:]), 3),
        "validate_10k_lines_breakdown_s": {
            "read": round(t_read, 3), "parse_and_limits": round(t_parse, 3), "xsd": round(t_xsd, 3),
            "official_rules": round(t_rules, 3), "model_rules": round(t_model, 3),
        },
    }))


def main() -> None:
    sys.path.insert(0, str(HERE))
    from _samples import sample_invoice

    from facturier.engine.cii.write import write_cii

    load = round(os.getloadavg()[0], 2)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "invoice-10k-lines.xml"
        path.write_bytes(write_cii(sample_invoice(LINES)))
        figures = {}
        for mode in ("--once", "--child"):
            out = subprocess.run([sys.executable, __file__, mode, str(path)], check=True,
                                 capture_output=True, text=True).stdout
            figures.update(json.loads(out.strip().splitlines()[-1]))
    RESULTS.mkdir(exist_ok=True)
    target = RESULTS / "engine.json"
    results = json.loads(target.read_text()) if target.is_file() else {}
    results.update(figures, validate_10k_lines_load_1min_before=load)
    target.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(figures))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        child(sys.argv[2])
    elif sys.argv[1:2] == ["--once"]:
        once(sys.argv[2])
    else:
        main()
