"""Where the life-cycle message tests find their material, and the values they build messages from."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

from facturier.engine.cdar import AmountCashed, Company

CONFORMANCE_DIR = Path(__file__).resolve().parents[3] / "conformance"
EXAMPLES_DIR = CONFORMANCE_DIR / "fr-ctc-1.4.0.03" / "cdar-examples"
CDV_SCHEMATRON = CONFORMANCE_DIR / "fr-ctc-1.4.0.03" / "schematron" / "20260804_BR-FR-CDV-Schematron-CDAR_V1.4.0.03.sch"
SPECS_DIR = (Path(__file__).resolve().parents[3] / ".." / "shared" / "specs").resolve()
"""The specifications beside the checkout, read in place (absent from a fresh clone)."""
XSD_DIR = SPECS_DIR / "cdar-d22b" / "xsd"

EXAMPLES = sorted(EXAMPLES_DIR.glob("*.xml"))

SELLER = Company("100000009", "VENDEUR")
BUYER = Company("200000008", "ACHETEUR")
AT = datetime(2026, 9, 2, 10, 30)
INVOICE_DATE = date(2026, 9, 1)
REASON_FOR = {"206": "QTE_ERR", "207": "TX_TVA_ERR", "208": "JUSTIF_ABS", "210": "TX_TVA_ERR",
              "213": "REJ_SEMAN", "221": "ROUTAGE_ERR", "501": "IRR_SYNTAX"}
"""A reason each status with a reason list of its own accepts."""
CASHED = (AmountCashed(Decimal("20.00"), Decimal("1000.00")), AmountCashed(Decimal("5.5"), Decimal("211")))
