"""Benchmark: invoices in and out by machine (REST API, import, connectors, webhooks).

Each part lives in its own module, `bench/integration_<part>.py`, exposing `run() -> dict`,
so that one part can be run alone while it is being tuned (`python bench/integration_api.py`).
This script runs them all, one after the other in fresh processes (a part's memory or open
servers never weigh on the next), and writes their figures into bench/results/integration.json.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results" / "integration.json"


def parts() -> list[Path]:
    return sorted(HERE.glob("integration_*.py"))


def main() -> None:
    figures: dict = {}
    for part in parts():
        print(f"-- {part.name}", flush=True)
        done = subprocess.run([sys.executable, "-c", _CHILD, str(part)], check=False,
                              capture_output=True, text=True)
        if done.returncode != 0:
            sys.stderr.write(done.stderr)
            raise SystemExit(f"{part.name} failed")
        result = json.loads(done.stdout.strip().splitlines()[-1])
        print(json.dumps(result, indent=1))
        figures.update(result)
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(figures, indent=2, sort_keys=True) + "\n")


# The child imports one part by path and prints its figures as the last line of its output.
_CHILD = """
import importlib.util, json, sys
path = sys.argv[1]
sys.path.insert(0, str(__import__("pathlib").Path(path).parent))
spec = importlib.util.spec_from_file_location("part", path)
module = importlib.util.module_from_spec(spec)
spec.loader.exec_module(module)
print(json.dumps(module.run()))
"""

if __name__ == "__main__":
    main()
