"""The REST API (django-ninja) under /api/v1/: API keys and scopes, idempotency, outgoing webhooks."""
