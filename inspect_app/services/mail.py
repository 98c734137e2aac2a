"""Sending e-mail through the configured SMTP server (standard library only).

``INSPECT_SMTP_HOST`` empty: :func:`smtp_settings` gives None and nothing is sent.
"""
from __future__ import annotations

import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from .reminders import Mail, MailServerDown

#: Seconds to wait for the mail server at each step.
TIMEOUT = 30


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    user: str
    password: str
    sender: str
    starttls: bool


class MailNotConfigured(ValueError):
    """SMTP settings that cannot work (a message for the operator, in English)."""


def smtp_settings(config: Mapping[str, Any]) -> SmtpSettings | None:
    """The SMTP settings of the app's config, None when no host is set; raises
    :class:`MailNotConfigured` when they are incomplete or malformed."""
    host = str(config.get("SMTP_HOST") or "").strip()
    if not host:
        return None
    try:
        port = int(config.get("SMTP_PORT") or 0)
    except (TypeError, ValueError):
        raise MailNotConfigured(f"INSPECT_SMTP_PORT must be a number, not "
                                f"{config.get('SMTP_PORT')!r}") from None
    if not 0 < port < 65536:
        raise MailNotConfigured(f"INSPECT_SMTP_PORT must be 1–65535, not {port}")
    sender = str(config.get("SMTP_FROM") or "").strip()
    if "@" not in sender or any(c in sender for c in "\r\n"):
        raise MailNotConfigured("INSPECT_SMTP_FROM must be the sender's e-mail address")
    starttls = config.get("SMTP_STARTTLS", True)
    if isinstance(starttls, str):
        starttls = starttls.strip().lower() not in ("0", "false", "no", "off", "")
    return SmtpSettings(host, port, str(config.get("SMTP_USER") or ""),
                        str(config.get("SMTP_PASSWORD") or ""), sender, bool(starttls))


def message_of(mail: Mail, sender: str) -> EmailMessage:
    """The MIME message (UTF-8 plain text; a non-ASCII subject encoded as RFC 2047)."""
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=sender.rsplit("@", 1)[-1])
    message.set_content(mail.body, charset="utf-8")
    return message


class SmtpMailer:
    """One connection to the server for a run: ``with SmtpMailer(s) as send: send(mail)``.

    A connection the server closed after the last message (a per-connection limit, an
    idle timeout) is noticed before the next message (a NOOP) and opened again, once per
    message; a message is never handed over twice. A server that cannot be reached, does
    not answer within :data:`TIMEOUT` or refuses the session raises
    :class:`MailServerDown`: the run stops rather than wait for it again."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.connection: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpMailer:
        return self

    def _down(self, exc: OSError) -> MailServerDown:
        s = self.settings
        why = (f"no answer within {TIMEOUT} s" if isinstance(exc, TimeoutError)
               else str(exc) or type(exc).__name__)
        return MailServerDown(f"the mail server {s.host}:{s.port} cannot be used ({why})")

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        try:
            connection = smtplib.SMTP(s.host, s.port, timeout=TIMEOUT)
        except OSError as exc:  # smtplib's errors are OSErrors too
            raise self._down(exc) from exc
        try:
            if s.starttls:
                connection.starttls(context=ssl.create_default_context())
            if s.user:
                connection.login(s.user, s.password)
        except OSError as exc:
            connection.close()
            raise self._down(exc) from exc
        except BaseException:
            connection.close()
            raise
        return connection

    def _drop(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None

    def _still_open(self) -> bool:
        """Whether the connection of the last message still works (False: the server
        closed it); a server that stops answering raises :class:`MailServerDown`."""
        assert self.connection is not None
        try:
            return self.connection.noop()[0] == 250
        except TimeoutError as exc:
            self._drop()
            raise self._down(exc) from exc
        except OSError:
            return False

    def __call__(self, mail: Mail) -> None:
        message = message_of(mail, self.settings.sender)
        if self.connection is not None and not self._still_open():
            self._drop()
        if self.connection is None:
            self.connection = self._connect()
        try:
            self.connection.send_message(message)
        except TimeoutError as exc:
            self._drop()
            raise self._down(exc) from exc
        except OSError:  # refused (smtplib's errors are OSErrors) or cut off: not resent
            self._drop()  # the next message opens a new connection
            raise

    def __exit__(self, *exc_info) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                self.connection.close()
            self.connection = None
