"""Keeps bearer tokens out of the logs.

Some links carry a token in their path (consent answers, address confirmations, portal welcomes,
password resets, printed consent letters): whoever reads a log line holding one could use it.
Django logs the path of every 4xx/5xx response (`django.request`) and servers log request lines;
this filter replaces each token segment by "…" before any handler sees the record.
"""

from __future__ import annotations

import logging
import re

_TOKEN_IN_PATH = re.compile(
    r"(/consent/(?:address/)?|/welcome/|/password/reset/[^/\s\"']+/|/settings/consent/letters/)[^/\s\"'?#]+")


def redact(text: str) -> str:
    return _TOKEN_IN_PATH.sub(r"\1…", text)


class RedactTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True  # a malformed record is logging's own problem; keep it as it is
        redacted = redact(message)
        if redacted != message:
            record.msg, record.args = redacted, ()
        return True
