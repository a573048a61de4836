"""Export connectors (S2.13): an organisation's SFTP servers and HTTP(S) endpoints that receive its
documents — on issue, on import, by batch, or as a customer's channel — in the file format each
receiver takes (the Factur-X PDF or an XML adaptation the engine converts and validates).

- `models`: the connector, its transfers (an outbox on `facturier.config.leases`);
- `transport`: the SFTP (asyncssh) and HTTP(S) sessions, through the SSRF guard, and the
  step-by-step connection test;
- `files`: what a transfer sends (format, conversion, validation, file name);
- `services`: writes (save, test, enable, re-pin, queue) and the triggers;
- `outbox`: the flush, exactly once across crashes;
- `views`, `urls`: the settings screens.
"""
