"""AssumeRoleWithWebIdentity (a JWT from a registered OIDC provider, its
signature checked against the issuer's published keys) and AssumeRoleWithSAML
(a base64 SAML response naming the role and provider, its XML signature
checked against the provider's metadata); both are called unsigned."""
import base64
import json
import time

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config
from lxml import etree

from iam.conftest import ACCOUNT, allow, doc, error_of
from sts.idp import SAML_NS, OidcIssuer, SamlIdp, rsa_key

SAML_PROVIDER = f"arn:aws:iam::{ACCOUNT}:saml-provider/corp"


def unsigned_jwt(**claims) -> str:
    part = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()  # noqa: E731
    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


@pytest.fixture(scope="module")
def issuer():
    idp = OidcIssuer()
    yield idp
    idp.close()


@pytest.fixture
def unsigned_sts(cloud):
    return boto3.client("sts", endpoint_url=cloud.endpoint, region_name="us-east-1",
                        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))


@pytest.fixture
def web_role(iam, client, issuer):
    iam.create_open_id_connect_provider(Url=issuer.url, ClientIDList=["my-app"], ThumbprintList=[issuer.thumbprint])
    provider = f"arn:aws:iam::{ACCOUNT}:oidc-provider/{issuer.host}"
    iam.create_role(RoleName="web", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Federated": provider}, "Action": "sts:AssumeRoleWithWebIdentity",
         "Condition": {"StringEquals": {f"{issuer.host}:aud": "my-app"},
                       "StringLike": {f"{issuer.host}:sub": "user-*"}}}]}))
    iam.put_role_policy(RoleName="web", PolicyName="p", PolicyDocument=doc(allow("s3:ListAllMyBuckets")))
    return f"arn:aws:iam::{ACCOUNT}:role/web"


def test_web_identity(client, unsigned_sts, web_role, issuer):
    token = issuer.token(iss=issuer.url, aud="my-app", sub="user-7", exp=int(time.time()) + 3600)
    out = unsigned_sts.assume_role_with_web_identity(RoleArn=web_role, RoleSessionName="app-user",
                                                     WebIdentityToken=token)
    assert out["SubjectFromWebIdentityToken"] == "user-7" and out["Audience"] == "my-app"
    assert out["Provider"] == issuer.host
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/web/app-user"
    client("s3", creds=out["Credentials"]).list_buckets()
    assert error_of(client("s3", creds=out["Credentials"]).create_bucket, Bucket="b")["Code"] == "AccessDenied"


@pytest.mark.parametrize("claims, code", [
    ({"iss": "https://other.example.com", "aud": "my-app", "sub": "user-1"}, "InvalidIdentityToken"),
    ({"aud": "someone-else", "sub": "user-1"}, "InvalidIdentityToken"),
    ({"aud": "my-app", "sub": "admin"}, "AccessDenied"),  # the trust policy's sub condition
    ({"aud": "my-app", "sub": "user-1", "exp": 1000}, "ExpiredTokenException"),
])
def test_web_identity_refused(unsigned_sts, web_role, issuer, claims, code):
    err = error_of(unsigned_sts.assume_role_with_web_identity, RoleArn=web_role, RoleSessionName="x1",
                   WebIdentityToken=issuer.token(**{"iss": issuer.url, **claims}))
    assert err["Code"] == code
    assert error_of(unsigned_sts.assume_role_with_web_identity, RoleArn=web_role, RoleSessionName="x1",
                    WebIdentityToken="not-a-jwt")["Code"] == "InvalidIdentityToken"


def _tampered(token: str, **changes) -> str:
    header, claims, signature = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(claims + "=" * (-len(claims) % 4)))
    part = base64.urlsafe_b64encode(json.dumps({**decoded, **changes}).encode()).rstrip(b"=").decode()
    return f"{header}.{part}.{signature}"


def test_web_identity_signature_is_checked(unsigned_sts, web_role, issuer):
    claims = {"iss": issuer.url, "aud": "my-app", "sub": "user-7"}
    forged = [
        _tampered(issuer.token(**claims), sub="user-8"),  # claims changed after signing
        issuer.token(key=rsa_key(), **claims),  # signed by a key the issuer does not publish
        issuer.token(kid="unknown-key", **claims),
        issuer.token(algorithm="HS256", **claims),  # a shared-secret signature
        unsigned_jwt(**claims),
    ]
    for token in forged:
        err = error_of(unsigned_sts.assume_role_with_web_identity, RoleArn=web_role, RoleSessionName="x1",
                       WebIdentityToken=token)
        assert (err["Code"], err["Status"]) == ("InvalidIdentityToken", 400), token
    # The genuine token still passes.
    unsigned_sts.assume_role_with_web_identity(RoleArn=web_role, RoleSessionName="x1",
                                               WebIdentityToken=issuer.token(**claims))


def test_web_identity_untrusted_certificate(iam, unsigned_sts, web_role):
    """The IdP's certificate is not from a public CA and its thumbprint is not the provider's."""
    other = OidcIssuer()  # a fresh issuer: no keys kept from earlier tests
    try:
        iam.create_open_id_connect_provider(Url=other.url, ClientIDList=["my-app"], ThumbprintList=["f" * 40])
        err = error_of(unsigned_sts.assume_role_with_web_identity, RoleArn=web_role, RoleSessionName="x1",
                       WebIdentityToken=other.token(iss=other.url, aud="my-app", sub="user-1"))
        assert err["Code"] == "InvalidIdentityToken"
        assert "Couldn't retrieve verification key" in err["Message"]
    finally:
        other.close()


@pytest.fixture
def saml_idp():
    return SamlIdp()


@pytest.fixture
def saml_role(iam, saml_idp):
    assert iam.create_saml_provider(Name="corp", SAMLMetadataDocument=saml_idp.metadata())["SAMLProviderArn"] == \
        SAML_PROVIDER
    iam.create_role(RoleName="sso", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Federated": SAML_PROVIDER}, "Action": "sts:AssumeRoleWithSAML",
         "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]}))
    return f"arn:aws:iam::{ACCOUNT}:role/sso"


def test_saml(unsigned_sts, saml_idp, saml_role):
    signed = saml_idp.sign(saml_idp.assertion(saml_role, SAML_PROVIDER))
    out = unsigned_sts.assume_role_with_saml(RoleArn=saml_role, PrincipalArn=SAML_PROVIDER,
                                             SAMLAssertion=saml_idp.response(signed))
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/sso/jane@example.com"
    assert (out["Subject"], out["SubjectType"], out["Issuer"]) == ("jane@example.com", "persistent",
                                                                  "https://idp.example.com")
    # The assertion must name the role asked for.
    other = f"arn:aws:iam::{ACCOUNT}:role/other"
    assert error_of(unsigned_sts.assume_role_with_saml, RoleArn=saml_role, PrincipalArn=SAML_PROVIDER,
                    SAMLAssertion=saml_idp.response(saml_idp.sign(saml_idp.assertion(other, SAML_PROVIDER))))[
        "Code"] == "AccessDenied"


def test_saml_signature_is_checked(unsigned_sts, saml_idp, saml_role):
    def refused(encoded):
        err = error_of(unsigned_sts.assume_role_with_saml, RoleArn=saml_role, PrincipalArn=SAML_PROVIDER,
                       SAMLAssertion=encoded)
        return (err["Code"], err["Status"]) == ("InvalidIdentityToken", 400)

    assertion = saml_idp.assertion(saml_role, SAML_PROVIDER)
    assert refused(saml_idp.response(assertion))  # not signed at all
    stranger = rsa_key()
    assert refused(saml_idp.response(saml_idp.sign(saml_idp.assertion(saml_role, SAML_PROVIDER), key=stranger)))
    # Signed, then the subject changed.
    signed = saml_idp.sign(saml_idp.assertion(saml_role, SAML_PROVIDER))
    signed.find(f".//{{{SAML_NS}}}NameID").text = "mallory@example.com"
    assert refused(saml_idp.response(signed))
    # An unsigned assertion beside a signed one is not believed: only the signed part is read.
    genuine = saml_idp.sign(saml_idp.assertion(saml_role, SAML_PROVIDER, subject="jane@example.com"))
    wrapped = etree.fromstring(base64.b64decode(saml_idp.response(genuine)))
    forged = saml_idp.assertion(saml_role, SAML_PROVIDER, subject="mallory@example.com")
    forged.set("ID", "_forged")
    wrapped.insert(0, forged)
    out = unsigned_sts.assume_role_with_saml(RoleArn=saml_role, PrincipalArn=SAML_PROVIDER,
                                             SAMLAssertion=base64.b64encode(etree.tostring(wrapped)).decode())
    assert out["Subject"] == "jane@example.com"


def test_cognito_identity_needs_no_iam_provider(iam, unsigned_sts):
    iam.create_role(RoleName="cognito", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
         "Action": "sts:AssumeRoleWithWebIdentity",
         "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": "us-east-1:pool-id"}}}]}))
    role = f"arn:aws:iam::{ACCOUNT}:role/cognito"
    token = unsigned_jwt(iss="https://cognito-identity.amazonaws.com", aud="us-east-1:pool-id",
                         sub="us-east-1:identity")
    out = unsigned_sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="c1", WebIdentityToken=token)
    assert out["Provider"] == "cognito-identity.amazonaws.com"
    other = unsigned_jwt(iss="https://cognito-identity.amazonaws.com", aud="us-east-1:other-pool", sub="x")
    assert error_of(unsigned_sts.assume_role_with_web_identity, RoleArn=role, RoleSessionName="c1",
                    WebIdentityToken=other)["Code"] == "AccessDenied"
