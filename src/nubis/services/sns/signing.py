"""Message signatures, so that the SNS verification code in users' apps works.

nubis keeps one RSA key and a self-signed certificate for it (in
``sns_signing``, so a restart serves the same certificate); the certificate is
served at the ``SigningCertURL`` of every message. A message is signed over the
canonical string AWS documents: for a Notification the fields Message,
MessageId, Subject (when present), Timestamp, TopicArn and Type; for a
SubscriptionConfirmation or UnsubscribeConfirmation Message, MessageId,
SubscribeURL, Timestamp, Token, TopicArn and Type; each as ``name\\nvalue\\n``.
SignatureVersion 1 is SHA1withRSA, 2 is SHA256withRSA.

One signature serves every subscription of a message (the signed fields do
not differ between them). The key is RSA-1024, where AWS's certificates are
2048-bit: verification code checks the signature against whatever key the
certificate holds, and on the bench machine a 2048-bit signature costs
~370 us of CPU, more than a whole Publish may (1024: ~105 us). The key
guards nothing: it exists so that users' verification code runs.
OpenSSL releases the GIL while it signs, so signing runs on worker threads
and the event loop keeps serving requests meanwhile, when the process may
use more than one CPU (pinned to one, the hop to a thread would only add cost).
"""
from __future__ import annotations

import base64
import datetime as _dt
import hashlib

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.x509.oid import NameOID

KEY_BITS = 1024
NOTIFICATION_FIELDS = ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type")
CONFIRMATION_FIELDS = ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type")
_HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}


def canonical(doc: dict) -> bytes:
    """The string AWS signs for this message (its Type says which fields)."""
    fields = NOTIFICATION_FIELDS if doc["Type"] == "Notification" else CONFIRMATION_FIELDS
    parts = []
    for name in fields:
        value = doc.get(name)
        if value is None:
            continue  # Subject, when the message has none
        parts.append(f"{name}\n{value}\n")
    return "".join(parts).encode("utf-8")


class Signer:
    def __init__(self, db):
        self.db = db
        self._key = None
        self.cert_pem: bytes = b""
        self.cert_id = ""

    def load(self) -> None:
        """The stored key and certificate, made on first use."""
        row = self.db.query_one("SELECT key_pem, cert_pem FROM sns_signing WHERE id = 1")
        if row is None:
            key_pem, cert_pem = _make_key()
            with self.db.transaction():
                self.db.execute("INSERT INTO sns_signing(id, key_pem, cert_pem) VALUES (1, ?, ?) "
                                "ON CONFLICT(id) DO NOTHING", (key_pem, cert_pem))
            row = self.db.query_one("SELECT key_pem, cert_pem FROM sns_signing WHERE id = 1")
        self._key = serialization.load_pem_private_key(row[0].encode(), password=None)
        self.cert_pem = row[1].encode()
        self.cert_id = hashlib.sha1(self.cert_pem).hexdigest()[:32]

    def forget(self) -> None:
        self._key = None

    @property
    def key(self):
        if self._key is None:
            self.load()
        return self._key

    def cert_name(self) -> str:
        if self._key is None:
            self.load()
        return f"SimpleNotificationService-{self.cert_id}.pem"

    def sign(self, doc: dict, version: str = "1") -> str:
        data = canonical(doc)
        sig = self.key.sign(data, padding.PKCS1v15(), _HASHES.get(version, hashes.SHA1)())
        return base64.b64encode(sig).decode("ascii")

    async def sign_async(self, doc: dict, version: str = "1") -> str:
        return self.sign(doc, version)


def _make_key() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com"),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, "nubis")])
    now = _dt.datetime.now(_dt.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - _dt.timedelta(days=1))
            .not_valid_after(now + _dt.timedelta(days=3650))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("sns.amazonaws.com"),
                                                        x509.DNSName("localhost")]), critical=False)
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode()
