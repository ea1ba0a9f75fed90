"""Key material at rest: sealed under one master key per installation.

The master key is 32 random bytes in ``<data dir>/kms/master.key`` (mode
0600), never in the database. Every key's material is AES-256-GCM encrypted
under it, bound to the key id and material version, before it reaches the
store. This protects against the database file travelling alone (a copied
``nubis.db``, a backup, a bug report, a row pasted into a log) and against
one key's sealed material being swapped into another key's row. It does not
protect against someone who can read the whole data directory: the master
key sits beside the database, as it must for nubis to start unattended.
"""
from __future__ import annotations

import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM


class MasterKey:
    def __init__(self, data_dir: str):
        path = os.path.join(data_dir, "kms", "master.key")
        os.makedirs(os.path.dirname(path), mode=0o700, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            with open(path, "rb") as f:
                key = f.read()
        else:
            key = os.urandom(32)
            with os.fdopen(fd, "wb") as f:
                f.write(key)
                f.flush()
                os.fsync(f.fileno())
        if len(key) != 32:
            raise RuntimeError(f"{path} is not a 32-byte KMS master key")
        self._aead = AESGCM(key)

    def seal(self, label: str, secret: bytes) -> bytes:
        nonce = os.urandom(12)
        return nonce + self._aead.encrypt(nonce, secret, label.encode())

    def unseal(self, label: str, sealed: bytes) -> bytes:
        return self._aead.decrypt(sealed[:12], sealed[12:], label.encode())

    def __repr__(self) -> str:  # never the key itself
        return "MasterKey(<sealed>)"
