"""Invoices made elsewhere: upload, e-mail and API → read, validated, matched, archived."""
