"""AssumeRoleWithWebIdentity (a JWT from a registered OIDC provider) and
AssumeRoleWithSAML (a base64 SAML response naming the role and provider);
both are called unsigned."""
import base64
import json
import time

import boto3
import pytest
from botocore import UNSIGNED
from botocore.config import Config

from iam.conftest import ACCOUNT, allow, doc, error_of

ISSUER = "https://auth.example.com"
PROVIDER = f"arn:aws:iam::{ACCOUNT}:oidc-provider/auth.example.com"
SAML_PROVIDER = f"arn:aws:iam::{ACCOUNT}:saml-provider/corp"


def jwt(**claims) -> str:
    part = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()  # noqa: E731
    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part(claims)}.c2lnbmF0dXJl"


@pytest.fixture
def unsigned_sts(cloud):
    return boto3.client("sts", endpoint_url=cloud.endpoint, region_name="us-east-1",
                        config=Config(signature_version=UNSIGNED, retries={"max_attempts": 1}))


@pytest.fixture
def web_role(iam, client):
    iam.create_open_id_connect_provider(Url=ISSUER, ClientIDList=["my-app"], ThumbprintList=["0" * 40])
    iam.create_role(RoleName="web", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Federated": PROVIDER}, "Action": "sts:AssumeRoleWithWebIdentity",
         "Condition": {"StringEquals": {"auth.example.com:aud": "my-app"},
                       "StringLike": {"auth.example.com:sub": "user-*"}}}]}))
    iam.put_role_policy(RoleName="web", PolicyName="p", PolicyDocument=doc(allow("s3:ListAllMyBuckets")))
    return f"arn:aws:iam::{ACCOUNT}:role/web"


def test_web_identity(client, unsigned_sts, web_role):
    token = jwt(iss=ISSUER, aud="my-app", sub="user-7", exp=int(time.time()) + 3600)
    out = unsigned_sts.assume_role_with_web_identity(RoleArn=web_role, RoleSessionName="app-user",
                                                     WebIdentityToken=token)
    assert out["SubjectFromWebIdentityToken"] == "user-7" and out["Audience"] == "my-app"
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/web/app-user"
    client("s3", creds=out["Credentials"]).list_buckets()
    assert error_of(client("s3", creds=out["Credentials"]).create_bucket, Bucket="b")["Code"] == "AccessDenied"


@pytest.mark.parametrize("claims, code", [
    ({"iss": "https://other.example.com", "aud": "my-app", "sub": "user-1"}, "InvalidIdentityToken"),
    ({"iss": ISSUER, "aud": "someone-else", "sub": "user-1"}, "InvalidIdentityToken"),
    ({"iss": ISSUER, "aud": "my-app", "sub": "admin"}, "AccessDenied"),  # the trust policy's sub condition
    ({"iss": ISSUER, "aud": "my-app", "sub": "user-1", "exp": 1000}, "ExpiredTokenException"),
])
def test_web_identity_refused(unsigned_sts, web_role, claims, code):
    err = error_of(unsigned_sts.assume_role_with_web_identity, RoleArn=web_role, RoleSessionName="x1",
                   WebIdentityToken=jwt(**claims))
    assert err["Code"] == code
    assert error_of(unsigned_sts.assume_role_with_web_identity, RoleArn=web_role, RoleSessionName="x1",
                    WebIdentityToken="not-a-jwt")["Code"] == "InvalidIdentityToken"


def saml_response(role: str, provider: str, subject: str = "jane@example.com") -> str:
    xml = f"""<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"
      xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion">
      <saml:Assertion>
        <saml:Issuer>https://idp.example.com</saml:Issuer>
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
      </saml:Assertion>
    </samlp:Response>"""
    return base64.b64encode(xml.encode()).decode()


def test_saml(iam, unsigned_sts):
    metadata = "<EntityDescriptor xmlns='urn:oasis:names:tc:SAML:2.0:metadata'>" + " " * 1000 + "</EntityDescriptor>"
    assert iam.create_saml_provider(Name="corp", SAMLMetadataDocument=metadata)["SAMLProviderArn"] == SAML_PROVIDER
    iam.create_role(RoleName="sso", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Federated": SAML_PROVIDER}, "Action": "sts:AssumeRoleWithSAML",
         "Condition": {"StringEquals": {"SAML:aud": "https://signin.aws.amazon.com/saml"}}}]}))
    role = f"arn:aws:iam::{ACCOUNT}:role/sso"
    out = unsigned_sts.assume_role_with_saml(RoleArn=role, PrincipalArn=SAML_PROVIDER,
                                             SAMLAssertion=saml_response(role, SAML_PROVIDER))
    assert out["AssumedRoleUser"]["Arn"] == f"arn:aws:sts::{ACCOUNT}:assumed-role/sso/jane@example.com"
    assert (out["Subject"], out["SubjectType"], out["Issuer"]) == ("jane@example.com", "persistent",
                                                                  "https://idp.example.com")
    # The assertion must name the role asked for.
    other = f"arn:aws:iam::{ACCOUNT}:role/other"
    assert error_of(unsigned_sts.assume_role_with_saml, RoleArn=role, PrincipalArn=SAML_PROVIDER,
                    SAMLAssertion=saml_response(other, SAML_PROVIDER))["Code"] == "AccessDenied"


def test_cognito_identity_needs_no_iam_provider(iam, unsigned_sts):
    iam.create_role(RoleName="cognito", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"Federated": "cognito-identity.amazonaws.com"},
         "Action": "sts:AssumeRoleWithWebIdentity",
         "Condition": {"StringEquals": {"cognito-identity.amazonaws.com:aud": "us-east-1:pool-id"}}}]}))
    role = f"arn:aws:iam::{ACCOUNT}:role/cognito"
    token = jwt(iss="https://cognito-identity.amazonaws.com", aud="us-east-1:pool-id", sub="us-east-1:identity")
    out = unsigned_sts.assume_role_with_web_identity(RoleArn=role, RoleSessionName="c1", WebIdentityToken=token)
    assert out["Provider"] == "cognito-identity.amazonaws.com"
    other = jwt(iss="https://cognito-identity.amazonaws.com", aud="us-east-1:other-pool", sub="x")
    assert error_of(unsigned_sts.assume_role_with_web_identity, RoleArn=role, RoleSessionName="c1",
                    WebIdentityToken=other)["Code"] == "AccessDenied"
