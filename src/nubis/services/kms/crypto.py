"""The cryptography of KMS keys, with ``cryptography`` doing the work.

Symmetric ciphertext blobs are nubis's own format (AWS's is opaque too):

    0x01 | id kind (0 = uuid, 1 = mrk-) | 16-byte key id | 4-byte material version
         | 12-byte nonce | AES-256-GCM ciphertext and tag

The header and the canonical encryption context are the GCM associated data,
so a blob names the key and the material that made it (Decrypt needs no
KeyId, old material still decrypts after a rotation) and opens only with
the same encryption context.
"""
from __future__ import annotations

import hmac as _hmac
import json
import os
import struct
import uuid

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa, utils
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from . import specs

FORMAT = 1
_HEADER = struct.Struct(">BB16sI")
NONCE = 12
MIN_BLOB = _HEADER.size + NONCE + 16


class BadCiphertext(Exception):
    pass


# -- key material ------------------------------------------------------------------------------------

def generate(spec: str) -> bytes:
    """New material for a key of ``spec``: raw bytes, or a PKCS#8 DER private key."""
    if spec == specs.SYMMETRIC:
        return os.urandom(32)
    if spec in specs.HMAC_BYTES:
        return os.urandom(specs.HMAC_BYTES[spec])
    if spec in specs.RSA_SIZES:
        private = rsa.generate_private_key(public_exponent=65537, key_size=specs.RSA_SIZES[spec])
    else:
        private = ec.generate_private_key(specs.CURVES[spec]())
    return private.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())


def private_key(material: bytes):
    return serialization.load_der_private_key(material, password=None)


def public_der(material: bytes) -> bytes:
    return private_key(material).public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def spec_of_private(material: bytes) -> str | None:
    """The key spec of an imported private key, or None when KMS has no such spec."""
    try:
        key = private_key(material)
    except (ValueError, TypeError):
        return None
    if isinstance(key, rsa.RSAPrivateKey):
        return next((s for s, n in specs.RSA_SIZES.items() if n == key.key_size), None)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return next((s for s, c in specs.CURVES.items() if c.name == key.curve.name), None)
    return None


# -- symmetric blobs -------------------------------------------------------------------------------------

def _id_bytes(key_id: str) -> tuple[int, bytes]:
    if key_id.startswith("mrk-"):
        return 1, bytes.fromhex(key_id[4:])
    return 0, uuid.UUID(key_id).bytes


def _id_text(kind: int, raw: bytes) -> str:
    return "mrk-" + raw.hex() if kind == 1 else str(uuid.UUID(bytes=raw))


def _context(context: dict | None) -> bytes:
    return json.dumps(context or {}, sort_keys=True, separators=(",", ":")).encode()


def seal(key_id: str, version: int, material: bytes, plaintext: bytes, context: dict | None) -> bytes:
    kind, raw = _id_bytes(key_id)
    header = _HEADER.pack(FORMAT, kind, raw, version)
    nonce = os.urandom(NONCE)
    return header + nonce + AESGCM(material).encrypt(nonce, plaintext, header + _context(context))


def blob_key(blob: bytes) -> tuple[str, int]:
    """The key id and material version a symmetric blob names (BadCiphertext if it is none of ours)."""
    if len(blob) < MIN_BLOB:
        raise BadCiphertext()
    fmt, kind, raw, version = _HEADER.unpack_from(blob)
    if fmt != FORMAT or kind not in (0, 1):
        raise BadCiphertext()
    return _id_text(kind, raw), version


def open_blob(material: bytes, blob: bytes, context: dict | None) -> bytes:
    header, nonce, body = blob[:_HEADER.size], blob[_HEADER.size:_HEADER.size + NONCE], blob[_HEADER.size + NONCE:]
    try:
        return AESGCM(material).decrypt(nonce, body, header + _context(context))
    except InvalidTag:
        raise BadCiphertext() from None


# -- RSA encryption ---------------------------------------------------------------------------------------

def _oaep(algorithm: str) -> padding.OAEP:
    h = specs.hash_of(algorithm)
    return padding.OAEP(mgf=padding.MGF1(algorithm=h), algorithm=h, label=None)


def rsa_max_plaintext(spec: str, algorithm: str) -> int:
    return specs.RSA_SIZES[spec] // 8 - 2 * specs.hash_of(algorithm).digest_size - 2


def rsa_encrypt(material: bytes, algorithm: str, plaintext: bytes) -> bytes:
    return private_key(material).public_key().encrypt(plaintext, _oaep(algorithm))


def rsa_decrypt(material: bytes, algorithm: str, ciphertext: bytes) -> bytes:
    try:
        return private_key(material).decrypt(ciphertext, _oaep(algorithm))
    except ValueError:
        raise BadCiphertext() from None


# -- signatures ---------------------------------------------------------------------------------------------

def _signature_args(key, algorithm: str, digest: bool):
    h = specs.hash_of(algorithm)
    chosen = utils.Prehashed(h) if digest else h
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        if algorithm.startswith("RSASSA_PSS"):
            # KMS's PSS salt is as long as the digest.
            return (padding.PSS(mgf=padding.MGF1(h), salt_length=h.digest_size), chosen)
        return (padding.PKCS1v15(), chosen)
    return (ec.ECDSA(chosen),)


def sign(material: bytes, algorithm: str, message: bytes, digest: bool) -> bytes:
    key = private_key(material)
    return key.sign(message, *_signature_args(key, algorithm, digest))


def verify(material: bytes, algorithm: str, message: bytes, signature: bytes, digest: bool) -> bool:
    key = private_key(material).public_key()
    try:
        key.verify(signature, message, *_signature_args(key, algorithm, digest))
    except (InvalidSignature, ValueError):
        return False
    return True


# -- MACs and key agreement -------------------------------------------------------------------------------------

def mac(material: bytes, algorithm: str, message: bytes) -> bytes:
    return _hmac.new(material, message, specs.hash_of(algorithm).name).digest()


def ecdh(material: bytes, peer_public_der: bytes) -> bytes:
    key = private_key(material)
    peer = serialization.load_der_public_key(peer_public_der)
    if not isinstance(peer, ec.EllipticCurvePublicKey) or peer.curve.name != key.curve.name:
        raise ValueError("curve mismatch")
    return key.exchange(ec.ECDH(), peer)


def data_key_pair(spec: str) -> tuple[bytes, bytes]:
    """(PKCS#8 DER private key, DER SubjectPublicKeyInfo) of a new pair."""
    private = generate(spec)
    return private, public_der(private)


def digest_size(algorithm: str) -> int:
    return specs.hash_of(algorithm).digest_size


__all__ = ["BadCiphertext", "generate", "seal", "open_blob", "blob_key", "hashes"]
