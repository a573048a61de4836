"""Talking to an organisation's mail server: resolving its host safely, connecting, and saying
precisely what failed (DNS, refused, timeout, TLS, authentication) in the user's language.

Hosts are user input, so the platform must not become a port scanner of its own network
(SSRF): the name is resolved once and every address must be public (`engine.net`, the one guard
for every user-given host) unless the operator allows private ones
(`FACTURIER_MAIL_ALLOW_PRIVATE_HOSTS`) or it is exactly the running local mail catcher
(`catcher.py`, which only takes mail from the organisations it knows), and the socket
connects to the address that was checked, not to a second resolution of the name (DNS rebinding).
"""

from __future__ import annotations

import smtplib
import ssl
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from facturier.engine import net
from facturier.errors import FacturierError

TIMEOUT_S = 20


class MailError(FacturierError):
    """A mail server problem; `code` says which kind, `temporary` whether retrying may help."""

    code = "mail"
    temporary = False


class HostRefused(MailError):
    code = "private_host"


class DnsFailure(MailError):
    code = "dns"
    temporary = True


class ConnectionRefused(MailError):
    code = "refused"
    temporary = True


class ConnectionTimeout(MailError):
    code = "timeout"
    temporary = True


class TlsFailure(MailError):
    code = "tls"


class AuthFailure(MailError):
    code = "auth"


class PlainAuthRefused(MailError):
    code = "plain_auth"


class ServerError(MailError):
    code = "server"

    def __init__(self, message, *, smtp_code: int = 0, **params):
        super().__init__(message, **params)
        self.smtp_code = smtp_code
        self.temporary = 400 <= smtp_code < 500


def resolve_checked(host: str, port: int) -> net.Resolved:
    """Every address of `host`, resolved once and checked; connect to these, not to the name."""
    allow = getattr(settings, "FACTURIER_MAIL_ALLOW_PRIVATE_HOSTS", False)
    try:
        return net.resolve_public(host, port, allow_private=allow, exception=_catcher)
    except net.HostNotFound:
        if not (host or "").strip():
            raise DnsFailure(_("No server name is set."))
        raise DnsFailure(_("The server name %(host)s cannot be found (DNS). Check its spelling."), host=host.strip())
    except net.HostRefused as e:
        raise HostRefused(_("The server %(host)s resolves to a private or local address (%(address)s), "
                            "which this platform does not connect to. Use the server's public name, or ask "
                            "the operator to allow private hosts."), host=e.host, address=e.address)


def refuse_plain_auth(resolved: net.Resolved, security: str, username: str) -> None:
    """A password is never sent in clear unless the operator allows it or the server is the local catcher."""
    if not username or security != "none" or getattr(settings, "FACTURIER_MAIL_ALLOW_PLAIN_AUTH", False):
        return
    if _catcher(list(resolved.addresses), resolved.port):
        return
    raise PlainAuthRefused(_("The connection to %(host)s:%(port)s is not encrypted: Facturier does not send the "
                             "password over it. Choose TLS or STARTTLS (ask the operator to allow unencrypted "
                             "sign-in only for a server on the same machine)."), host=resolved.host,
                           port=resolved.port)


def _catcher(addresses: list[str], port: int) -> bool:
    """The operator's own mail catcher (started by `facturier run`) is the one loopback server allowed."""
    from facturier.delivery.catcher import is_catcher

    return is_catcher(addresses, port)


class _PinnedMixin:
    """Connects to the checked addresses while TLS still verifies the host name."""

    pinned: net.Resolved

    def _get_socket(self, host, port, timeout):
        sock = net.pinned_connection(self.pinned, timeout, self.source_address)
        wrap = getattr(self, "_wrap", None)
        return wrap(sock, host) if wrap else sock


class PinnedSMTP(_PinnedMixin, smtplib.SMTP):
    pass


class PinnedSMTPSSL(_PinnedMixin, smtplib.SMTP_SSL):
    def _wrap(self, sock, host):
        return self.context.wrap_socket(sock, server_hostname=host)


def tls_context() -> ssl.SSLContext:
    context = ssl.create_default_context()
    extra = getattr(settings, "FACTURIER_MAIL_CA_FILE", "")
    if extra:
        context.load_verify_locations(extra)
    return context


@dataclass(frozen=True, slots=True)
class Endpoint:
    host: str
    port: int
    security: str
    username: str = ""
    password: str = ""


def connect(endpoint: Endpoint) -> smtplib.SMTP:
    """An authenticated SMTP connection, or a MailError saying precisely what failed."""
    resolved = resolve_checked(endpoint.host, endpoint.port)
    refuse_plain_auth(resolved, endpoint.security, endpoint.username)
    where = {"host": endpoint.host, "port": endpoint.port}
    try:
        if endpoint.security == "tls":
            client: smtplib.SMTP = PinnedSMTPSSL(timeout=TIMEOUT_S, context=tls_context())
        else:
            client = PinnedSMTP(timeout=TIMEOUT_S)
        client.pinned = resolved
        client._host = endpoint.host
        client.connect(endpoint.host, endpoint.port)
        client.ehlo_or_helo_if_needed()
        if endpoint.security == "starttls":
            if not client.has_extn("starttls"):
                client.close()
                raise TlsFailure(_("The server %(host)s:%(port)s does not offer STARTTLS. Choose implicit TLS "
                                   "(usually port 465) or check the port."), **where)
            client.starttls(context=tls_context())
            client.ehlo()
        if endpoint.username:
            client.login(endpoint.username, endpoint.password)
        return client
    except MailError:
        raise
    except ConnectionRefusedError:
        raise ConnectionRefused(_("The server %(host)s refused the connection on port %(port)s: "
                                  "is the port right and the server running?"), **where)
    except TimeoutError:
        raise ConnectionTimeout(_("The server %(host)s did not answer on port %(port)s within %(seconds)s s "
                                  "(firewall, or wrong port?)."), seconds=TIMEOUT_S, **where)
    except ssl.SSLCertVerificationError as e:
        raise TlsFailure(_("The certificate of %(host)s is not trusted: %(reason)s."),
                         reason=e.verify_message or str(e), **where)
    except ssl.SSLError as e:
        raise TlsFailure(_("The secure connection (TLS) with %(host)s:%(port)s failed: %(reason)s. Check the "
                           "security setting: implicit TLS is usually port 465, STARTTLS port 587."),
                         reason=e.reason or str(e), **where)
    except smtplib.SMTPAuthenticationError as e:
        raise AuthFailure(_("The server %(host)s refused the user name or password (%(code)s %(reply)s)."),
                          code=e.smtp_code, reply=_reply(e.smtp_error), **where)
    except smtplib.SMTPNotSupportedError:
        raise AuthFailure(_("The server %(host)s does not accept authentication on this connection; it may "
                            "require STARTTLS or TLS first."), **where)
    except smtplib.SMTPServerDisconnected:
        raise ConnectionRefused(_("The server %(host)s:%(port)s closed the connection at once; check the port "
                                  "and the security setting."), **where)
    except smtplib.SMTPResponseException as e:
        raise ServerError(_("The server %(host)s answered %(code)s %(reply)s."), smtp_code=e.smtp_code,
                          code=e.smtp_code, reply=_reply(e.smtp_error), **where)
    except OSError as e:
        raise ConnectionRefused(_("The server %(host)s:%(port)s cannot be reached: %(reason)s."),
                                reason=e.strerror or str(e), **where)


def _reply(raw) -> str:
    return raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)


def close(client: smtplib.SMTP | None) -> None:
    if client is None:
        return
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        client.close()


# --- one message in two steps -----------------------------------------------------------------
# `smtplib.SMTP.sendmail` runs a message's whole transaction and then waits: the server reads the
# content while the worker sits idle. Split in two, the worker prepares the next message while the
# server reads this one. Until `data_end` sends the final dot nothing is delivered: a connection
# closed before it abandons the transaction (RFC 5321 §4.1.1.4), so the split keeps exactly-once.


def data_begin(client: smtplib.SMTP, sender: str, recipients: list[str], content: bytes) -> dict:
    """MAIL, RCPT, DATA and the content without its final dot; returns the refused recipients.

    `content` must be CRLF-terminated lines (as `outbox.build` writes them). Raises as
    `sendmail` does: SMTPSenderRefused, SMTPRecipientsRefused (all refused), SMTPDataError.
    """
    options = [f"size={len(content)}"] if client.does_esmtp and client.has_extn("size") else []
    code, reply = client.mail(sender, options)
    if code != 250:
        _abandon(client, code)
        raise smtplib.SMTPSenderRefused(code, reply, sender)
    refused = {}
    for recipient in recipients:
        code, reply = client.rcpt(recipient)
        if code not in (250, 251):
            refused[recipient] = (code, reply)
        if code == 421:
            client.close()
            raise smtplib.SMTPRecipientsRefused(refused)
    if len(refused) == len(recipients):
        _abandon(client, 0)
        raise smtplib.SMTPRecipientsRefused(refused)
    client.putcmd("data")
    code, reply = client.getreply()
    if code != 354:
        _abandon(client, code)
        raise smtplib.SMTPDataError(code, reply)
    # Dot-stuffing: a line starting with "." gets a second one (RFC 5321 §4.5.2); base64 lines never do.
    stuffed = content.replace(b"\r\n.", b"\r\n..")
    client.send(b"." + stuffed if stuffed.startswith(b".") else stuffed)
    return refused


def data_end(client: smtplib.SMTP) -> None:
    """The final dot: the server takes the message (or raises SMTPDataError with its answer)."""
    client.send(b".\r\n")
    code, reply = client.getreply()
    if code != 250:
        _abandon(client, code)
        raise smtplib.SMTPDataError(code, reply)


def abandon_open(client: smtplib.SMTP | None) -> None:
    """Drop a connection in the middle of DATA without the final dot: the server delivers nothing.
    (QUIT would be read as a line of the message.)"""
    if client is not None:
        client.close()


def _abandon(client: smtplib.SMTP, code: int) -> None:
    if code == 421:
        client.close()
    else:
        client._rset()
