"""An organisation's bounce mailbox over IMAP: opening it (for the bounce reader and for the test
button alike, so a test that passes means the reader gets in too), and looking into it without
changing it, saying precisely what failed (DNS, refused, timeout, TLS, sign-in, folder) in the
user's language. The host is checked by the same SSRF rule as the SMTP server (`engine.net`).
"""

from __future__ import annotations

import contextlib
import imaplib
import ssl

from django.utils.translation import gettext_lazy as _

from facturier.delivery import smtp
from facturier.delivery.models import Security
from facturier.engine import net


def open_mailbox(ms):
    """An imap_tools mailbox for the organisation's settings, not yet signed in.

    The host is resolved and checked once (`smtp.resolve_checked`, the platform's one SSRF rule) and
    the socket connects to the checked address; with TLS the certificate is still verified against
    the host's name.
    """
    from imap_tools import BaseMailBox, MailboxStarttlsError
    from imap_tools.utils import check_command_status

    resolved = smtp.resolve_checked(ms.imap_host, ms.imap_port)
    smtp.refuse_plain_auth(resolved, ms.imap_security, ms.imap_username)
    timeout = smtp.TIMEOUT_S  # a server that drops packets must not hang the worker or a web request
    security = ms.imap_security

    class PinnedMailBox(BaseMailBox):
        def _get_mailbox_client(self) -> imaplib.IMAP4:
            if security == Security.TLS:
                return _PinnedIMAP4SSL(resolved, timeout, smtp.tls_context())
            client = _PinnedIMAP4(resolved, timeout)
            if security == Security.STARTTLS:
                check_command_status(client.starttls(smtp.tls_context()), MailboxStarttlsError)
            return client

    return PinnedMailBox()


class _PinnedIMAP4(imaplib.IMAP4):
    def __init__(self, resolved, timeout):
        self._resolved = resolved
        super().__init__(resolved.host, resolved.port, timeout)

    def _create_socket(self, timeout):
        return net.pinned_connection(self._resolved, timeout)


class _PinnedIMAP4SSL(imaplib.IMAP4_SSL):
    def __init__(self, resolved, timeout, context):
        self._resolved = resolved
        super().__init__(resolved.host, resolved.port, ssl_context=context, timeout=timeout)

    def _create_socket(self, timeout):
        return self.ssl_context.wrap_socket(net.pinned_connection(self._resolved, timeout), server_hostname=self.host)


class FolderMissing(smtp.MailError):
    code = "folder"


def examine(ms, password: str) -> int:
    """Sign in and select the configured folder read-only; the number of messages it holds.

    Nothing is fetched, flagged or deleted: EXAMINE leaves even the \\Recent flags alone.
    Raises a typed `smtp.MailError` naming the step that failed.
    """
    from imap_tools import MailboxFolderSelectError, MailboxLoginError, MailboxStarttlsError

    where = {"host": ms.imap_host, "port": ms.imap_port}
    step = "connect"
    box = None
    try:
        box = open_mailbox(ms)
        step = "login"
        box.login(ms.imap_username, password, initial_folder=None)
        step = "folder"
        _typ, data = box.folder.set(ms.imap_folder, readonly=True)
        return int(data[-1] or 0)
    except smtp.MailError:
        raise
    except MailboxLoginError as e:
        raise _auth_failure(where, e) from e
    except MailboxFolderSelectError as e:
        raise FolderMissing(_("The folder “%(folder)s” cannot be opened on %(host)s (%(reply)s). Check its "
                              "name: it is case-sensitive, and subfolders are often written “INBOX.Name”."),
                            folder=ms.imap_folder, reply=_reply(e), **where) from e
    except (MailboxStarttlsError, ValueError) as e:
        raise _no_starttls(where) from e
    except ConnectionRefusedError as e:
        raise smtp.ConnectionRefused(_("The server %(host)s refused the connection on port %(port)s: "
                                       "is the port right and the server running?"), **where) from e
    except TimeoutError as e:
        raise smtp.ConnectionTimeout(_("The server %(host)s did not answer on port %(port)s within %(seconds)s s "
                                       "(firewall, or wrong port?)."), seconds=smtp.TIMEOUT_S, **where) from e
    except ssl.SSLCertVerificationError as e:
        raise smtp.TlsFailure(_("The certificate of %(host)s is not trusted: %(reason)s."),
                              reason=e.verify_message or str(e), **where) from e
    except ssl.SSLError as e:
        raise smtp.TlsFailure(_("The secure connection (TLS) with %(host)s:%(port)s failed: %(reason)s. Check "
                                "the security setting: implicit TLS is usually port 993, STARTTLS port 143."),
                              reason=e.reason or str(e), **where) from e
    except imaplib.IMAP4.error as e:  # imaplib's starttls() says "TLS not supported" through abort
        if step == "connect" and "TLS" in str(e).upper():
            raise _no_starttls(where) from e
        if isinstance(e, imaplib.IMAP4.abort):
            raise smtp.ConnectionRefused(_("The server %(host)s:%(port)s closed the connection; check the port "
                                           "and the security setting."), **where) from e
        if step == "login":
            raise _auth_failure(where, e) from e
        raise smtp.ServerError(_("The server %(host)s answered: %(reply)s."), reply=_reply(e), **where) from e
    except OSError as e:
        raise smtp.ConnectionRefused(_("The server %(host)s:%(port)s cannot be reached: %(reason)s."),
                                     reason=e.strerror or str(e), **where) from e
    finally:
        if box is not None:
            with contextlib.suppress(Exception):  # the answer is known; a failed goodbye changes nothing
                box.logout()


def _no_starttls(where: dict) -> smtp.TlsFailure:
    return smtp.TlsFailure(_("The server %(host)s:%(port)s does not offer STARTTLS. Choose implicit TLS "
                             "(usually port 993) or check the port."), **where)


def _auth_failure(where: dict, error: Exception) -> smtp.AuthFailure:
    return smtp.AuthFailure(_("The server %(host)s refused the user name or password (%(reply)s)."),
                            reply=_reply(error), **where)


def _reply(error: Exception) -> str:
    """The server's own words: the data of the refused command when imap_tools kept it."""
    result = getattr(error, "command_result", None)
    if result and len(result) > 1 and result[1]:
        return " ".join(p.decode("utf-8", "replace") if isinstance(p, bytes) else str(p)
                        for p in result[1] if p).strip() or str(error)
    return str(error)
