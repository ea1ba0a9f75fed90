"""What AssumeRoleWithWebIdentity and AssumeRoleWithSAML read from their tokens.

An OIDC token is a JWT: its claims are read and checked (issuer registered as
an IAM OIDC provider, audience among the provider's client ids, expiry on the
clock). A SAML assertion is base64 XML: its role attribute, session name,
subject, issuer and audience are read. With IAM enforcement on, signatures are
checked first (``oidc_keys.py``, ``saml_signature.py``).
"""
from __future__ import annotations

import base64
import hashlib
import json
import xml.etree.ElementTree as ET

from ...protocol.errors import ServiceError


def invalid_token(message: str) -> ServiceError:
    return ServiceError("InvalidIdentityToken", message, 400)


def _b64url(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def jwt_claims(token: str) -> dict:
    parts = (token or "").split(".")
    if len(parts) != 3:
        raise invalid_token("The ID Token provided is not a valid JWT. (You may see this error if you sent an "
                            "Access Token)")
    try:
        header, claims = json.loads(_b64url(parts[0])), json.loads(_b64url(parts[1]))
    except (ValueError, TypeError):
        raise invalid_token("The ID Token provided is not a valid JWT. (You may see this error if you sent an "
                            "Access Token)") from None
    if not isinstance(header, dict) or not isinstance(claims, dict) or "iss" not in claims:
        raise invalid_token("The ID Token provided is not a valid JWT. (You may see this error if you sent an "
                            "Access Token)")
    return claims


# Issuers STS trusts without an IAM OIDC provider -> the ``Federated`` principal trust policies name.
WELL_KNOWN = {"cognito-identity.amazonaws.com": "cognito-identity.amazonaws.com",
              "accounts.google.com": "accounts.google.com", "www.amazon.com": "www.amazon.com",
              "graph.facebook.com": "graph.facebook.com"}


def audiences(claims: dict) -> list[str]:
    aud = claims.get("aud")
    return aud if isinstance(aud, list) else [aud] if aud else []


_SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
ROLE_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/Role"
SESSION_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/RoleSessionName"
DURATION_ATTRIBUTE = "https://aws.amazon.com/SAML/Attributes/SessionDuration"


def saml_assertion(encoded: str, root=None) -> dict:
    """The parts of a SAML response STS uses: roles [(role ARN, provider ARN)], session
    name, duration, subject and its type, issuer, audience, NotOnOrAfter. ``root``,
    when given, is the part a verified signature covers (the response or its assertion)."""
    if root is None:
        try:
            root = ET.fromstring(base64.b64decode(encoded, validate=False))
        except (ValueError, ET.ParseError):
            raise invalid_token("Invalid SAML assertion: the response could not be parsed") from None
    q = lambda tag: f"{{{_SAML}}}{tag}"  # noqa: E731
    assertion = root if root.tag == q("Assertion") else root.find(q("Assertion"))
    if assertion is None:
        raise invalid_token("Invalid SAML assertion: no Assertion element")
    out = {"roles": [], "session": None, "duration": None, "issuer": None, "subject": None,
           "subject_type": "transient", "audience": None, "not_after": None}
    issuer = assertion.find(q("Issuer"))
    out["issuer"] = issuer.text.strip() if issuer is not None and issuer.text else None
    name_id = assertion.find(f"{q('Subject')}/{q('NameID')}")
    if name_id is not None:
        out["subject"] = (name_id.text or "").strip()
        fmt = name_id.get("Format", "")
        out["subject_type"] = fmt.rsplit(":", 1)[-1] if fmt else "transient"
    conditions = assertion.find(q("Conditions"))
    if conditions is not None:
        out["not_after"] = conditions.get("NotOnOrAfter")
        aud = conditions.find(f"{q('AudienceRestriction')}/{q('Audience')}")
        out["audience"] = (aud.text or "").strip() if aud is not None else None
    for attr in assertion.iter(q("Attribute")):
        values = [(v.text or "").strip() for v in attr.findall(q("AttributeValue"))]
        name = attr.get("Name")
        if name == ROLE_ATTRIBUTE:
            for v in values:
                pair = [p.strip() for p in v.split(",")]
                if len(pair) == 2:
                    role = next((p for p in pair if ":role/" in p), None)
                    provider = next((p for p in pair if ":saml-provider/" in p), None)
                    if role and provider:
                        out["roles"].append((role, provider))
        elif name == SESSION_ATTRIBUTE and values:
            out["session"] = values[0]
        elif name == DURATION_ATTRIBUTE and values:
            out["duration"] = values[0]
    return out


def name_qualifier(issuer: str, account: str, provider_name: str) -> str:
    """IAM's NameQualifier: BASE64(SHA1(issuer + account id + "/" + provider name))."""
    return base64.b64encode(hashlib.sha1(f"{issuer}{account}/{provider_name}".encode()).digest()).decode()
