"""Saxon in the isolate Facturier creates (young generation bounded) judges as in SaxonC's own isolate.

Each case runs in a fresh Python process: an isolate is made once per process, before the first
Saxon processor.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from validation_material import CONFORMANCE_DIR, MISSING

pytestmark = pytest.mark.skipif(not CONFORMANCE_DIR.is_dir(), reason=MISSING)

_EXAMPLES = ("en16931-1.3.16/examples/cii/CII_example1.xml", "en16931-1.3.16/examples/cii/XRechnung-O.xml",
             "zugferd-2.5.2/examples/en16931/*.xml", "en16931-1.3.16/examples/ubl/ubl-tc434-example1.xml")

_JUDGE = r"""
import json, sys
from pathlib import Path
from facturier.engine.validation import saxon_isolate, validate
young, version, files = int(sys.argv[1]), sys.argv[2], sys.argv[3:]
saxon_isolate.configure(young)
if version:
    saxon_isolate.SAXONCHE_VERSION = version
verdicts = {}
for name in files:
    report = validate(Path(name).read_bytes(), french=True)
    verdicts[name] = sorted([f.rule, f.severity.value, f.xpath or ""] for f in report.findings)
from concurrent.futures import ThreadPoolExecutor
with ThreadPoolExecutor(4) as pool:  # threads attached to the isolate, then the process ends (cleanly)
    again = list(pool.map(lambda name: validate(Path(name).read_bytes(), french=True).findings, files))
assert [sorted([f.rule, f.severity.value, f.xpath or ""] for f in r) for r in again] == list(verdicts.values())
print(json.dumps({"ours": saxon_isolate.started_here(), "verdicts": verdicts}))
"""


def _files() -> list[str]:
    return [str(p) for g in _EXAMPLES for p in sorted(CONFORMANCE_DIR.glob(g))][:8]


def _judge(young_mb: int, version: str = "") -> dict:
    done = subprocess.run([sys.executable, "-c", _JUDGE, str(young_mb), version, *_files()], capture_output=True,
                          text=True, timeout=600, check=False)
    assert done.returncode == 0, (done.returncode, done.stderr[-3000:])  # -11: crashed on exit
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_saxon_runs_in_the_bounded_isolate_and_finds_what_saxoncs_own_isolate_finds():
    bounded, own = _judge(64), _judge(0)
    assert bounded["ours"] is True
    assert own["ours"] is False
    assert len(bounded["verdicts"]) >= 4
    assert any(bounded["verdicts"].values()), "at least one example has findings to compare"
    assert bounded["verdicts"] == own["verdicts"]


def test_an_unknown_saxonche_build_keeps_saxoncs_own_isolate():
    other = _judge(64, version="0.0.0")
    assert other["ours"] is False
    assert other["verdicts"] == _judge(0)["verdicts"]
