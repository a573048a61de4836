"""What an importing process loads: nothing it never uses (each of these weighs 7–15 MB resident)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

NOT_FOR_IMPORTS = ("asyncssh", "typst", "qrcode", "PIL", "boto3", "botocore")

_PROBE = """
import json, sys
import django
django.setup()
import facturier.imports.services  # noqa: F401
print(json.dumps(sorted(m for m in {names} if m in sys.modules)))
"""


def test_an_importing_process_does_not_load_ssh_pdf_rendering_qr_or_s3_modules(tmp_path):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "facturier.config.settings",
           "FACTURIER_DATA_DIR": str(tmp_path)}
    env.pop("DATABASE_URL", None)
    out = subprocess.run([sys.executable, "-c", _PROBE.format(names=repr(NOT_FOR_IMPORTS))], env=env,
                         capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []
