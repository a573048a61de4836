"""UBL 2.1 syntax of EN 16931: `write_ubl` (Invoice or CreditNote) and `read_ubl`."""

from facturier.engine.ubl.read import read_ubl
from facturier.engine.ubl.write import Customization, as_carried, write_ubl

__all__ = ["Customization", "as_carried", "read_ubl", "write_ubl"]
