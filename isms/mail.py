"""Send email over SMTP as configured; one function, plain text with an HTML alternative."""

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate
from urllib.parse import urlsplit

from flask import current_app


class MailError(RuntimeError):
    """The message was not handed to the SMTP server."""


def mail_domain() -> str:
    """Return the host name used in Message-IDs (from ISMS_BASE_URL)."""
    return urlsplit(current_app.config["ISMS_BASE_URL"]).hostname or "isms.local"


def send_mail(to: str, subject: str, text: str, html: str, message_id: str) -> None:
    """Send one message; raise MailError if the server cannot take it."""
    config = current_app.config
    message = EmailMessage()
    message["From"] = config["ISMS_SMTP_FROM"]
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = message_id
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    mode = config["ISMS_SMTP_TLS"]
    host, port = config["ISMS_SMTP_HOST"], config["ISMS_SMTP_PORT"]
    try:
        if mode == "ssl":
            client = smtplib.SMTP_SSL(host, port, timeout=30,
                                      context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(host, port, timeout=30)
        with client:
            if mode == "starttls":
                client.starttls(context=ssl.create_default_context())
            if config["ISMS_SMTP_USER"]:
                client.login(config["ISMS_SMTP_USER"], config["ISMS_SMTP_PASSWORD"])
            client.send_message(message)
    except (OSError, smtplib.SMTPException) as error:
        raise MailError(f"SMTP {host}:{port} did not take the message: {error}") from error
