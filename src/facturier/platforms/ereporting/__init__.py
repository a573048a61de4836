"""E-reporting (flux 10): the transactions and payments e-invoicing does not cover, reported by period."""
