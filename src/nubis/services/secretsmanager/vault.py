"""Encryption of stored values (secrets, SecureString parameters): the one switch.

With a ``kms`` provider in the catalogue, values are encrypted with
``kms:Encrypt`` under the caller's key (or the account's AWS managed key for the
service) and decrypted with ``kms:Decrypt``, through the internal client, as
the service principal. Without one, values are stored as they are. Each stored
value records the key that sealed it (None: stored as is), so values written
before KMS arrived still read back after.
"""
from __future__ import annotations

from ...protocol.errors import ServiceError


class SealError(Exception):
    """KMS refused: the service turns it into its own error."""

    def __init__(self, error: ServiceError):
        super().__init__(error.message)
        self.error = error


class Vault:
    def __init__(self, runtime, principal: str, managed_alias: str):
        self.runtime = runtime
        self.principal = principal
        self.managed_alias = managed_alias

    @property
    def enabled(self) -> bool:
        return "kms" in self.runtime.catalogue

    async def seal(self, account: str, region: str, key_id: str | None, plaintext: bytes,
                   context: dict | None = None) -> tuple[bytes, str | None]:
        """(what to store, the key that sealed it or None)."""
        if not self.enabled:
            return plaintext, None
        key = key_id or self.managed_alias
        params = {"KeyId": key, "Plaintext": plaintext}
        if context:
            params["EncryptionContext"] = context
        try:
            out = await self.runtime.internal.call("kms", "Encrypt", params, account=account, region=region,
                                                   principal=self.principal)
        except ServiceError as e:
            if key_id is None and e.code == "NotFoundException":
                # AWS creates the managed key on first use; a local KMS that
                # has no such key leaves the value stored as is.
                return plaintext, None
            raise SealError(e) from None
        return out["CiphertextBlob"], out.get("KeyId") or key

    async def open(self, account: str, region: str, sealed_with: str | None, stored: bytes,
                   context: dict | None = None) -> bytes:
        if sealed_with is None:
            return stored
        params = {"CiphertextBlob": stored, "KeyId": sealed_with}
        if context:
            params["EncryptionContext"] = context
        try:
            out = await self.runtime.internal.call("kms", "Decrypt", params, account=account, region=region,
                                                   principal=self.principal)
        except ServiceError as e:
            raise SealError(e) from None
        return out["Plaintext"]
