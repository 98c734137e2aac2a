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

from .reminders import Mail

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
    """One connection to the server for a run: ``with SmtpMailer(s) as send: send(mail)``."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self.connection: smtplib.SMTP | None = None

    def __enter__(self) -> SmtpMailer:
        return self

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        connection = smtplib.SMTP(s.host, s.port, timeout=TIMEOUT)
        try:
            if s.starttls:
                connection.starttls(context=ssl.create_default_context())
            if s.user:
                connection.login(s.user, s.password)
        except BaseException:
            connection.close()
            raise
        return connection

    def __call__(self, mail: Mail) -> None:
        if self.connection is None:
            self.connection = self._connect()
        try:
            self.connection.send_message(message_of(mail, self.settings.sender))
        except (smtplib.SMTPServerDisconnected, OSError):
            self.connection.close()  # the next message opens a new connection
            self.connection = None
            raise

    def __exit__(self, *exc_info) -> None:
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                self.connection.close()
            self.connection = None
