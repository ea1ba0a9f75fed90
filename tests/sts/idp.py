"""Identity providers for the federation tests: an OIDC issuer served over
HTTPS on localhost (discovery document and key set, a self-signed
certificate), and a SAML IdP's signing certificate, metadata and responses."""
from __future__ import annotations

import base64
import datetime
import hashlib
import http.server
import ipaddress
import json
import ssl
import tempfile
import threading

import jwt
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from lxml import etree
from signxml import XMLSigner

SAML_NS = "urn:oasis:names:tc:SAML:2.0:assertion"


def rsa_key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def self_signed(key, name: str = "localhost") -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    return (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=30))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .sign(key, hashes.SHA256()))


def pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption())


class OidcIssuer:
    """https://localhost:<port>: /.well-known/openid-configuration and /jwks."""

    def __init__(self):
        self.signing_key = rsa_key()
        self.kid = "key-1"
        tls_key = rsa_key()
        self.certificate = self_signed(tls_key)
        self.thumbprint = hashlib.sha1(self.certificate.public_bytes(serialization.Encoding.DER)).hexdigest()
        issuer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": issuer.url, "jwks_uri": issuer.url + "/jwks"}
                elif self.path == "/jwks":
                    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(issuer.signing_key.public_key()))
                    body = {"keys": [dict(public, kid=issuer.kid, use="sig", alg="RS256")]}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        with tempfile.NamedTemporaryFile() as cert_file, tempfile.NamedTemporaryFile() as key_file:
            cert_file.write(self.certificate.public_bytes(serialization.Encoding.PEM))
            key_file.write(pem(tls_key))
            cert_file.flush()
            key_file.flush()
            context.load_cert_chain(cert_file.name, key_file.name)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        self.url = f"https://localhost:{self.server.server_address[1]}"
        self.host = self.url.removeprefix("https://")
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def token(self, key=None, kid: str | None = None, algorithm: str = "RS256", **claims) -> str:
        return jwt.encode(claims, pem(key or self.signing_key) if algorithm != "HS256" else b"s" * 32,
                          algorithm=algorithm, headers={"kid": kid or self.kid})

    def close(self):
        self.server.shutdown()
        self.server.server_close()


class SamlIdp:
    """A SAML IdP: its signing certificate, metadata document and signed responses."""

    def __init__(self, entity: str = "https://idp.example.com"):
        self.entity = entity
        self.key = rsa_key()
        self.certificate = self_signed(self.key, "idp.example.com")

    def metadata(self) -> str:
        der = base64.b64encode(self.certificate.public_bytes(serialization.Encoding.DER)).decode()
        return (f"<EntityDescriptor xmlns='urn:oasis:names:tc:SAML:2.0:metadata' entityID='{self.entity}'>"
                "<IDPSSODescriptor protocolSupportEnumeration='urn:oasis:names:tc:SAML:2.0:protocol'>"
                "<KeyDescriptor use='signing'><KeyInfo xmlns='http://www.w3.org/2000/09/xmldsig#'><X509Data>"
                f"<X509Certificate>{der}</X509Certificate></X509Data></KeyInfo></KeyDescriptor>"
                "</IDPSSODescriptor></EntityDescriptor>").ljust(1000)

    def assertion(self, role: str, provider: str, subject: str = "jane@example.com"):
        xml = f"""<saml:Assertion xmlns:saml="{SAML_NS}" ID="_a1" Version="2.0" IssueInstant="2026-01-01T00:00:00Z">
        <saml:Issuer>{self.entity}</saml:Issuer>
        <saml:Subject><saml:NameID Format="urn:oasis:names:tc:SAML:2.0:nameid-format:persistent">{subject}</saml:NameID></saml:Subject>
        <saml:Conditions NotOnOrAfter="2999-01-01T00:00:00Z">
          <saml:AudienceRestriction><saml:Audience>https://signin.aws.amazon.com/saml</saml:Audience></saml:AudienceRestriction>
        </saml:Conditions>
        <saml:AttributeStatement>
          <saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/Role">
            <saml:AttributeValue>{role},{provider}</saml:AttributeValue>
          </saml:Attribute>
          <saml:Attribute Name="https://aws.amazon.com/SAML/Attributes/RoleSessionName">
            <saml:AttributeValue>{subject}</saml:AttributeValue>
          </saml:Attribute>
        </saml:AttributeStatement>
      </saml:Assertion>"""
        return etree.fromstring(xml)

    def sign(self, assertion, key=None, certificate=None):
        signer = XMLSigner(signature_algorithm="rsa-sha256", digest_algorithm="sha256",
                           c14n_algorithm="http://www.w3.org/2001/10/xml-exc-c14n#")
        cert = (certificate or self.certificate).public_bytes(serialization.Encoding.PEM)
        return signer.sign(assertion, key=pem(key or self.key), cert=cert, reference_uri="_a1")

    @staticmethod
    def response(assertion) -> str:
        root = etree.fromstring('<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" ID="_r1" '
                                'Version="2.0" IssueInstant="2026-01-01T00:00:00Z"/>')
        root.append(assertion)
        return base64.b64encode(etree.tostring(root)).decode()
