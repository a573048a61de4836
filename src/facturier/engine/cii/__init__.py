"""UN/CEFACT CII D16B: the syntax of Factur-X 1.0x and ZUGFeRD 2.x, read and written."""

from facturier.engine.cii.profiles import CIUS, XRECHNUNG_GUIDELINE_ID, Profile
from facturier.engine.cii.read import guideline_id, read_cii
from facturier.engine.cii.write import write_cii

__all__ = ["CIUS", "XRECHNUNG_GUIDELINE_ID", "Profile", "guideline_id", "read_cii", "write_cii"]
