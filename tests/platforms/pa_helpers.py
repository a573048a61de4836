"""Constants shared by the platform tests and their fixtures."""

CLIENT_ID = "acme-client"
CLIENT_SECRET = "s3cret-of-acme"  # noqa: S105 — the simulator's test account
