"""Where an OIDC token's verification keys come from, and its signature check.

As STS does for an IAM OIDC provider: the issuer's discovery document
(``<issuer>/.well-known/openid-configuration``) names its ``jwks_uri``; the
token's ``kid`` picks the key there. The issuer's TLS certificate is trusted
when a public CA signs it, or when its SHA-1 thumbprint is one of the
provider's ``ThumbprintList`` (how IAM trusts an IdP of its own CA, such as a
local one with a self-signed certificate). Key sets are kept for an hour and
fetched again when a token names a key they lack (the IdP rotated).

PyJWT does the JWS part (JWK parsing, RSA/ECDSA/RSASSA-PSS verification):
a well-kept library made for it, on top of ``cryptography``.
"""
from __future__ import annotations

import asyncio
import hashlib
import ssl
import time
from urllib.parse import urlsplit

import httpx
import jwt

from ...protocol.errors import ServiceError

# What STS accepts: asymmetric signatures only (never "none" or a shared secret).
ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512")
TIMEOUT = 5.0  # STS gives an IdP five seconds
KEEP = 3600.0
REFETCH_AFTER = 60.0  # an unknown kid fetches again, at most this often


def unretrievable() -> ServiceError:
    return ServiceError("InvalidIdentityToken", "Couldn't retrieve verification key from your identity provider, "
                        "please reference AssumeRoleWithWebIdentity documentation for requirements", 400)


def bad_signature() -> ServiceError:
    return ServiceError("InvalidIdentityToken", "The web identity token that was passed could not be validated "
                        "by AWS: its signature does not match the identity provider's keys", 400)


class OidcKeys:
    def __init__(self):
        self._sets: dict[str, tuple[float, dict]] = {}  # issuer -> (fetched at, {kid: PyJWK})

    async def verify(self, token: str, issuer: str, thumbprints: list[str]) -> None:
        """Raise InvalidIdentityToken unless ``token`` is signed by a key of ``issuer``."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError:
            raise bad_signature() from None
        alg, kid = header.get("alg"), header.get("kid")
        if alg not in ALGORITHMS:
            raise bad_signature()
        key = await self._key(issuer, kid, thumbprints)
        try:
            # Only the signature here: expiry, audience and issuer are STS's own checks, on its clock.
            jwt.api_jws.PyJWS().decode_complete(token, key.key, algorithms=[alg])
        except jwt.PyJWTError:
            raise bad_signature() from None

    async def _key(self, issuer: str, kid, thumbprints: list[str]):
        kept = self._sets.get(issuer)
        now = time.monotonic()
        if kept is None or now - kept[0] > KEEP or (kid not in kept[1] and now - kept[0] > REFETCH_AFTER):
            kept = (now, await self._fetch(issuer, thumbprints))
            self._sets[issuer] = kept
        keys = kept[1]
        if kid is None and len(keys) == 1:
            return next(iter(keys.values()))
        if kid not in keys:
            raise bad_signature()
        return keys[kid]

    async def _fetch(self, issuer: str, thumbprints: list[str]) -> dict:
        discovery = await _get_json(issuer.rstrip("/") + "/.well-known/openid-configuration", thumbprints)
        uri = discovery.get("jwks_uri") if isinstance(discovery, dict) else None
        if not isinstance(uri, str) or not uri.startswith("https://"):
            raise unretrievable()
        jwks = await _get_json(uri, thumbprints)
        keys = {}
        for entry in (jwks.get("keys") if isinstance(jwks, dict) else None) or []:
            try:
                keys[entry.get("kid")] = jwt.PyJWK(entry)
            except (jwt.PyJWTError, AttributeError, TypeError, ValueError):
                continue  # a key STS cannot use (a symmetric one, an unknown curve): skipped
        return keys


async def _get_json(url: str, thumbprints: list[str]):
    if not url.startswith("https://"):
        raise unretrievable()
    try:
        async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False) as client:
            response = await client.get(url)
    except httpx.ConnectError as e:
        if not _certificate_refused(e) or not await _thumbprint_trusted(url, thumbprints):
            raise unretrievable() from None
        try:
            async with httpx.AsyncClient(timeout=TIMEOUT, follow_redirects=False, verify=False) as client:
                response = await client.get(url)
        except httpx.HTTPError:
            raise unretrievable() from None
    except httpx.HTTPError:
        raise unretrievable() from None
    if response.status_code != 200:
        raise unretrievable()
    try:
        return response.json()
    except ValueError:
        raise unretrievable() from None


def _certificate_refused(error: Exception) -> bool:
    seen = error
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError) or "CERTIFICATE_VERIFY_FAILED" in str(seen):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


async def _thumbprint_trusted(url: str, thumbprints: list[str]) -> bool:
    """Whether the server's certificate is one the provider names by thumbprint."""
    wanted = {t.lower() for t in thumbprints}
    if not wanted:
        return False
    parts = urlsplit(url)
    try:
        pem = await asyncio.wait_for(asyncio.to_thread(
            ssl.get_server_certificate, (parts.hostname, parts.port or 443), timeout=TIMEOUT), TIMEOUT + 1)
    except (OSError, asyncio.TimeoutError, ValueError):
        return False
    return hashlib.sha1(ssl.PEM_cert_to_DER_cert(pem)).hexdigest() in wanted
