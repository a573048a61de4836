"""Factur-X container: pack a PDF/A-3 visual and its CII XML, unpack any Factur-X/ZUGFeRD PDF."""

from facturier.engine.facturx.container import check_container
from facturier.engine.facturx.pack import LEVELS, RELATIONSHIPS, normalise_level, pack_facturx
from facturier.engine.facturx.unpack import DEFAULT_MAX_BYTES, INVOICE_FILENAMES, Attachment, unpack_facturx

__all__ = [
    "DEFAULT_MAX_BYTES",
    "INVOICE_FILENAMES",
    "LEVELS",
    "RELATIONSHIPS",
    "Attachment",
    "check_container",
    "normalise_level",
    "pack_facturx",
    "unpack_facturx",
]
