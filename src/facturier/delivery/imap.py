"""Looking into an organisation's bounce mailbox over IMAP without changing it, and saying precisely
what failed (DNS, refused, timeout, TLS, sign-in, folder) in the user's language.

The mailbox is opened by the bounce reader's own code (`bounces._mailbox`), so a test that passes
means the reader gets in too, and the same SSRF rule (`smtp.resolve`) applies to the host.
"""

from __future__ import annotations

import contextlib
import imaplib
import ssl

from django.utils.translation import gettext_lazy as _

from facturier.delivery import smtp


class FolderMissing(smtp.MailError):
    code = "folder"


def examine(ms, password: str) -> int:
    """Sign in and select the configured folder read-only; the number of messages it holds.

    Nothing is fetched, flagged or deleted: EXAMINE leaves even the \\Recent flags alone.
    Raises a typed `smtp.MailError` naming the step that failed.
    """
    from imap_tools import MailboxFolderSelectError, MailboxLoginError, MailboxStarttlsError

    from facturier.delivery.bounces import _mailbox

    where = {"host": ms.imap_host, "port": ms.imap_port}
    step = "connect"
    box = None
    try:
        box = _mailbox(ms)
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
        raise smtp.TlsFailure(_("The server %(host)s:%(port)s does not offer STARTTLS. Choose implicit TLS "
                                "(usually port 993) or check the port."), **where) from e
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
            raise smtp.TlsFailure(_("The server %(host)s:%(port)s does not offer STARTTLS. Choose implicit TLS "
                                    "(usually port 993) or check the port."), **where) from e
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
