"""Helpers of the e-reporting tests (imported by name: tests/ is not a package)."""

from decimal import Decimal


def line(price: str, rate: str = "20", quantity: str = "1", **more) -> dict:
    return {"name": "Article", "quantity": Decimal(quantity), "unit_price": Decimal(price),
            "vat_rate": Decimal(rate), **more}
