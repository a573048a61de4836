from django.db import models  # noqa: F401

# API keys and idempotency


# Outgoing webhooks
