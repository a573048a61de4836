"""The platform's own mail: portal invitations and password links, company password resets.

Not an organisation's invoices (those leave through each organisation's mail settings and
outbox): these messages carry a credential and go at once, through the platform's server
(FACTURIER_EMAIL_*). Two setups:

- embedded (`facturier run` with the mail catcher, FACTURIER_EMAIL_HOST unset): they go to the
  catcher, into the mailbox of the organisation concerned, to be read at /mail/ like the rest;
- otherwise the configured server. When it fails, the person who asked is told in words
  (`PlatformMailError`, fr/en, naming the server, never a raw "[Errno 111]") and the failure is
  logged with its cause; nothing claims a message left.
"""

from __future__ import annotations

import logging
import smtplib
from collections.abc import Sequence

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.utils.translation import gettext_lazy as _

from facturier.errors import FacturierError

log = logging.getLogger(__name__)


class PlatformMailError(FacturierError):
    code = "platform_mail_failed"


def _catcher_address() -> tuple[str, int] | None:
    """The running mail catcher, when the platform's own server is not configured (the embedded setup)."""
    if getattr(settings, "FACTURIER_EMAIL_HOST_CONFIGURED", True):
        return None
    from facturier.delivery import catcher

    return catcher.address()


def platform_connection(*, organisation_id: int | None) -> BaseEmailBackend:
    """A connection to where the platform's mail goes (not opened): the catcher, into this
    organisation's mailbox, in the embedded setup; the configured backend otherwise."""
    running = _catcher_address()
    if running is not None:
        from facturier.delivery import catcher

        # Without an organisation, only a check that the catcher answers: it keeps no mail without one.
        user, password = catcher.credentials(organisation_id) if organisation_id is not None else ("", "")
        return get_connection("django.core.mail.backends.smtp.EmailBackend", host=running[0], port=running[1],
                              username=user, password=password, use_tls=False, use_ssl=False, timeout=10)
    return get_connection()


def _server() -> str:
    running = _catcher_address()
    if running is not None:
        return f"{running[0]}:{running[1]}"
    return f"{settings.EMAIL_HOST}:{settings.EMAIL_PORT}"


def _failed(error: BaseException, *, recipients: Sequence[str],
            kind: type[PlatformMailError] = PlatformMailError) -> PlatformMailError:
    log.error("The platform's mail server %s failed (message to %s): %r", _server(),
              ", ".join(recipients) or "nobody yet, connecting", error, exc_info=error)
    return kind(
        _("The e-mail to %(email)s could not be sent: the platform's mail server (%(server)s) did not accept it. "
          "Nothing was sent; try again later, or ask the platform's administrator to check its mail settings."),
        email=", ".join(recipients) or _("your address"), server=_server())


def platform_mail_ready(*, organisation_id: int | None,
                        error: type[PlatformMailError] = PlatformMailError) -> BaseEmailBackend:
    """An open connection, or `PlatformMailError` when the server does not answer. Opened before
    looking anything up, so a form that must not reveal who has an account fails alike for all."""
    connection = platform_connection(organisation_id=organisation_id)
    try:
        connection.open()
    except (smtplib.SMTPException, OSError) as e:
        raise _failed(e, recipients=(), kind=error) from e
    return connection


def platform_send(message: EmailMessage, *, organisation_id: int | None, connection: BaseEmailBackend | None = None,
                  error: type[PlatformMailError] = PlatformMailError) -> None:
    """Send one of the platform's messages now; `error` (a `PlatformMailError`, logged) when it could not go."""
    own = connection is None
    connection = connection or platform_connection(organisation_id=organisation_id)
    message.connection = connection
    try:
        message.send()
    except (smtplib.SMTPException, OSError) as e:
        raise _failed(e, recipients=message.to, kind=error) from e
    finally:
        if own:
            connection.close()
