"""The XML signature of a SAML response, checked against its IAM SAML provider.

STS trusts a SAML response only when it is signed by a signing certificate of
the provider's metadata document (``KeyDescriptor`` elements whose ``use`` is
``signing`` or unset). Only what the signature covers is read afterwards, so
an unsigned assertion wrapped beside a signed one is never believed.

signxml does the XML-DSig work (canonicalization, digests, RSA and ECDSA
signatures): a well-kept library made for it, on lxml and cryptography.
"""
from __future__ import annotations

import base64
import xml.etree.ElementTree as ET

from lxml import etree
from signxml import XMLVerifier
from signxml.exceptions import SignXMLException

from ...protocol.errors import ServiceError

_MD = "urn:oasis:names:tc:SAML:2.0:metadata"
_DS = "http://www.w3.org/2000/09/xmldsig#"


def invalid_response(message: str) -> ServiceError:
    return ServiceError("InvalidIdentityToken", message, 400)


def signing_certificates(metadata: str) -> list[str]:
    """The PEM certificates a provider's metadata document signs with."""
    try:
        root = ET.fromstring(metadata)
    except ET.ParseError:
        return []
    pems = []
    for descriptor in root.iter(f"{{{_MD}}}KeyDescriptor"):
        if descriptor.get("use") not in (None, "signing"):
            continue
        for cert in descriptor.iter(f"{{{_DS}}}X509Certificate"):
            body = "".join((cert.text or "").split())
            if body:
                lines = "\n".join(body[i:i + 64] for i in range(0, len(body), 64))
                pems.append(f"-----BEGIN CERTIFICATE-----\n{lines}\n-----END CERTIFICATE-----\n")
    return pems


def verified(encoded: str, metadata: str):
    """The element a valid signature of the provider covers (the Response or its Assertion)."""
    try:
        document = base64.b64decode(encoded, validate=False)
        etree.fromstring(document, parser=etree.XMLParser(resolve_entities=False, no_network=True))
    except (ValueError, etree.XMLSyntaxError):
        raise invalid_response("Invalid SAML assertion: the response could not be parsed") from None
    certificates = signing_certificates(metadata)
    if not certificates:
        raise invalid_response("Response signature invalid: the SAML provider's metadata has no signing "
                               "certificate")
    for pem in certificates:
        try:
            return XMLVerifier().verify(document, x509_cert=pem, ignore_ambiguous_key_info=True).signed_xml
        except (SignXMLException, ValueError):
            continue
    raise invalid_response("Response signature invalid")
