"""Printable documents: the invoice PDF/A-3b rendered by Typst, and its EPC payment QR code."""

from facturier.engine.pdf.render import (
    Attachment,
    RenderError,
    RenderOptions,
    TemplateError,
    TemplateLimitError,
    TemplateLimits,
    render_invoice,
)

__all__ = ["Attachment", "RenderError", "RenderOptions", "TemplateError", "TemplateLimitError", "TemplateLimits",
           "render_invoice"]
