"""Delivery channels: email through Django's email backend (EMAIL_URL), SMS through the backend SMS_URL names.

A channel sends one rendered message or raises ``DeliveryError``; ``retryable`` says whether trying again later
may help. Channels know nothing of the outbox.
"""

from __future__ import annotations

import http.client
import json
import logging
import smtplib
import socket
import ssl
import sys
import threading
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit, urlunsplit

from django.conf import settings
from django.core.mail import EmailMessage

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Message:
    to: str
    subject: str
    body: str
    reference: str  # the outbox key: lets a gateway drop a duplicate


class DeliveryError(Exception):
    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable


def send_email(message: Message) -> None:
    try:
        sent = EmailMessage(
            subject=message.subject,
            body=message.body,
            to=[message.to],
            headers={"X-Khuyencong-Ref": message.reference},
        ).send()
    except (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused) as exc:
        raise DeliveryError(f"SMTP: {exc}", retryable=False) from exc
    except (smtplib.SMTPException, OSError) as exc:
        raise DeliveryError(f"SMTP: {exc}") from exc
    if sent != 1:
        raise DeliveryError("SMTP: the backend did not accept the message")


class ConsoleSms:
    """Development (``make run``): the message is printed, like Django's console email backend."""

    def send(self, message: Message) -> None:
        sys.stdout.write(f"SMS to {message.to} [{message.reference}]\n{message.body}\n{'-' * 79}\n")
        sys.stdout.flush()


class HttpGatewaySms:
    """POST ``{"to", "text", "sender", "reference"}`` as JSON with a bearer token; any non-2xx answer is retryable."""

    def __init__(self, url: str, *, token: str, sender: str, timeout: float) -> None:
        parts = urlsplit(url)
        userinfo_token = unquote(parts.username or "") if parts.username else ""
        netloc = parts.hostname or ""
        if parts.port:
            netloc = f"{netloc}:{parts.port}"
        self.url = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
        self.token = userinfo_token or token
        self.sender = sender
        self.timeout = timeout

    def send(self, message: Message) -> None:
        payload = json.dumps(
            {"to": message.to, "text": message.body, "sender": self.sender, "reference": message.reference},
            ensure_ascii=False,
        ).encode()
        headers = {"Content-Type": "application/json; charset=utf-8", "Accept": "application/json"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        parts = urlsplit(self.url)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        for attempt in (1, 2):
            conn, reused = _connection(parts.scheme, parts.hostname or "", parts.port, self.timeout)
            try:
                conn.request("POST", target, body=payload, headers=headers)
                response = conn.getresponse()
                body = response.read()
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as exc:
                _drop(conn)
                # A kept-alive connection the gateway had closed meanwhile: the request never arrived, so it is
                # sent once more on a new connection (with the same reference, which a gateway deduplicates).
                if reused and attempt == 1:
                    continue
                raise DeliveryError(f"SMS gateway unreachable: {exc}") from exc
            except (TimeoutError, OSError, http.client.HTTPException) as exc:
                _drop(conn)
                raise DeliveryError(f"SMS gateway unreachable: {exc}") from exc
            if response.will_close:
                _drop(conn)
            if not 200 <= response.status < 300:
                detail = body[:300].decode("utf-8", "replace").strip()
                raise DeliveryError(
                    f"SMS gateway HTTP {response.status}: {detail}"
                    if detail
                    else f"SMS gateway HTTP {response.status}"
                )
            return


# One kept-alive connection per gateway address and thread: a worker sends message after message over it
# instead of opening a TCP (and TLS) connection for each one.
_connections = threading.local()


def _connection(
    scheme: str, host: str, port: int | None, timeout: float
) -> tuple[http.client.HTTPConnection, bool]:
    pool = _connections.__dict__.setdefault("pool", {})
    key = (scheme, host, port)
    conn = pool.get(key)
    if conn is not None:
        return conn, True
    if scheme == "https":
        conn = _HTTPSConnection(host, port, timeout=timeout, context=ssl.create_default_context())
    else:
        conn = _HTTPConnection(host, port, timeout=timeout)
    pool[key] = conn
    return conn, False


class _NoDelay:
    """Requests go out at once (TCP_NODELAY): on a kept-alive connection a small write must not wait for the
    acknowledgement of the previous one."""

    def connect(self) -> None:
        super().connect()  # type: ignore[misc]
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # type: ignore[attr-defined]


class _HTTPConnection(_NoDelay, http.client.HTTPConnection):
    pass


class _HTTPSConnection(_NoDelay, http.client.HTTPSConnection):
    pass


def _drop(conn: http.client.HTTPConnection) -> None:
    conn.close()
    pool = _connections.__dict__.get("pool", {})
    for key, known in list(pool.items()):
        if known is conn:
            del pool[key]


def sms_backend() -> ConsoleSms | HttpGatewaySms:
    """The backend named by settings.SMS_URL (read at call time, so tests and deployments can change it)."""
    url = settings.SMS_URL
    scheme = urlsplit(url).scheme
    if scheme == "console":
        return ConsoleSms()
    if scheme in ("http", "https"):
        return HttpGatewaySms(
            url, token=settings.SMS_TOKEN, sender=settings.SMS_SENDER, timeout=settings.SMS_TIMEOUT
        )
    raise DeliveryError(
        f"SMS_URL scheme {scheme!r} is not supported (console://, http://, https://)", retryable=False
    )


def send_sms(message: Message) -> None:
    sms_backend().send(message)


SENDERS = {"email": send_email, "sms": send_sms}
