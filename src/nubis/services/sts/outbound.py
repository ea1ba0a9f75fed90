"""Outbound identity federation, STS's part: the JSON Web Tokens of
``GetWebIdentityToken``, the keys that sign them and the issuer's discovery documents.

The account's issuer (IAM's ``EnableOutboundWebIdentityFederation``,
``iam/outbound_federation.py``) is ``http://<host>/_nubis/sts/tokens/<id>``;
``<issuer>/.well-known/openid-configuration`` names
``<issuer>/.well-known/jwks.json``, where the public keys are, so that a
service outside can verify a token the way it would an AWS one. One key per
algorithm (RS256: RSA 2048; ES384: ECDSA P-384) signs for every account; it
is made on first use and kept in STS's store, so tokens stay verifiable
across restarts.

A token's claims are those of the IAM user guide ("Understanding token
claims"): ``iss``, ``aud``, ``sub`` (the IAM user, the role of a role
session, or the root), ``iat``, ``exp``, ``jti``, and AWS's own under the
``https://sts.amazonaws.com/`` namespace (``aws_account``,
``source_region``, ``principal_id``, ``principal_tags``, ``request_tags``).
"""
from __future__ import annotations

import json
import secrets
import uuid

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ...protocol.errors import ServiceError
from ...protocol.wire import HttpResponse
from ..iam.outbound_federation import base_url, issuer_url, setting

ALGORITHMS = ("RS256", "ES384")
NAMESPACE = "https://sts.amazonaws.com/"


def _new_key(alg: str):
    if alg == "RS256":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP384R1())


class Signer:
    def __init__(self, store):
        self.store = store
        self._keys: dict[str, tuple[str, object]] = {}  # alg -> (kid, private key)
        store.db.on_rollback(self.forget)

    def forget(self) -> None:
        self._keys.clear()

    def key(self, alg: str) -> tuple[str, object]:
        if not self._keys:
            for name, (kid, pem) in self.store.signing_keys().items():
                self._keys[name] = (kid, serialization.load_pem_private_key(pem.encode(), None))
        found = self._keys.get(alg)
        if found is None:
            private = _new_key(alg)
            pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                        serialization.NoEncryption()).decode()
            kid = secrets.token_hex(16)
            self.store.put_signing_key(alg, kid, pem)
            found = self._keys[alg] = (kid, private)
        return found

    def sign(self, claims: dict, alg: str) -> str:
        kid, private = self.key(alg)
        return jwt.encode(claims, private, algorithm=alg, headers={"kid": kid, "typ": "JWT"})

    def jwks(self) -> dict:
        keys = []
        for alg in ALGORITHMS:
            kid, private = self.key(alg)
            jwk = json.loads(jwt.algorithms.get_default_algorithms()[alg].to_jwk(private.public_key()))
            keys.append({**jwk, "kid": kid, "alg": alg, "use": "sig"})
        return {"keys": keys}


def claims(issuer: str, audiences: list[str], subject: str, now: float, duration: int, account: str, region: str,
           principal: str, principal_tags: dict, request_tags: dict) -> dict:
    aws = {"aws_account": account, "source_region": region, "principal_id": principal}
    if principal_tags:
        aws["principal_tags"] = principal_tags
    if request_tags:
        aws["request_tags"] = request_tags
    return {"iss": issuer, "aud": audiences[0] if len(audiences) == 1 else audiences, "sub": subject,
            "iat": int(now), "exp": int(now) + duration, "jti": str(uuid.uuid4()), NAMESPACE: aws}


def _validation(value, member: str, constraint: str) -> ServiceError:
    return ServiceError("ValidationError", f"1 validation error detected: Value '{value}' at '{member}' failed to "
                        f"satisfy constraint: {constraint}", 400)


def web_identity_token(provider, ctx, params: dict) -> dict:
    """``GetWebIdentityToken``: a token for the caller, when its account has outbound federation on."""
    audiences = params.get("Audience")
    if not isinstance(audiences, list) or not 1 <= len(audiences) <= 10:
        raise _validation(audiences, "audience", "Member must have length less than or equal to 10"
                          if isinstance(audiences, list) and audiences else
                          "Member must have length greater than or equal to 1")
    for aud in audiences:
        if not isinstance(aud, str) or not 1 <= len(aud) <= 1000:
            raise _validation(aud, "audience.member", "Member must have length between 1 and 1000")
    duration = params.get("DurationSeconds")
    duration = 300 if duration is None else duration
    if not 60 <= duration <= 3600:
        raise _validation(duration, "durationSeconds", "Member must have value less than or equal to 3600"
                          if duration > 3600 else "Member must have value greater than or equal to 60")
    alg = params.get("SigningAlgorithm")
    if alg not in ALGORITHMS:
        raise _validation(alg, "signingAlgorithm", "Member must satisfy enum value set: [RS256, ES384]")
    tags = params.get("Tags") or []
    if len(tags) > 50:
        raise _validation("...", "tags", "Member must have length less than or equal to 50")
    caller = provider._caller(ctx)
    iam = provider.iam
    found = setting(iam.store, caller.account) if iam is not None else None
    if found is None or not found["Enabled"]:
        raise ServiceError("OutboundWebIdentityFederationDisabledException", "Outbound web identity federation "
                           "is not enabled for this account.", 403)
    now = provider.clock.now()
    if caller.expires is not None and now + duration > caller.expires:
        raise ServiceError("SessionDurationEscalationException", "The requested token duration would extend "
                           "the session beyond its original expiration time.", 403)
    subject, principal_tags = caller.principal, {}
    session = provider.store.get(caller.access_key) if caller.session_token is not None else None
    if session is not None:
        # A role session's subject is its role; the session's tags win over the role's.
        if ":assumed-role/" in session["arn"]:
            subject = session["source"]
        principal_tags = provider._policies_and_tags(session)[1]
    elif not caller.is_root:
        entity = iam.entity_by_arn(caller.principal)
        if entity is not None:
            principal_tags = {t["Key"]: t["Value"] for t in entity[2].get("Tags") or []}
    issuer = issuer_url(base_url(provider.config), found["IssuerId"])
    request_tags = {t["Key"]: t.get("Value", "") for t in tags}
    token = provider.signer.sign(claims(issuer, audiences, subject, now, duration, caller.account, ctx.region,
                                        subject, principal_tags, request_tags), alg)
    return {"WebIdentityToken": token, "Expiration": int(now) + duration}


def discovery(provider, method: str, path: str) -> HttpResponse | None:
    """``tokens/<id>/.well-known/openid-configuration`` and ``.../jwks.json`` of an account's issuer."""
    parts = path.split("/")
    if method not in ("GET", "HEAD") or len(parts) != 4 or parts[0] != "tokens" or parts[2] != ".well-known":
        return None
    issuer_id, document = parts[1], parts[3]
    iam = provider.iam
    known = iam is not None and any(
        kind == "settings" and (docs.get("outbound") or {}).get("IssuerId") == issuer_id
        for (_, kind), docs in iam.store.entities.items())
    if not known:
        return None
    issuer = issuer_url(base_url(provider.config), issuer_id)
    if document == "openid-configuration":
        body = {"issuer": issuer, "jwks_uri": f"{issuer}/.well-known/jwks.json",
                "response_types_supported": ["id_token"], "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": list(ALGORITHMS)}
    elif document == "jwks.json":
        body = provider.signer.jwks()
    else:
        return None
    return HttpResponse(200, [("Content-Type", "application/json")], json.dumps(body).encode())
