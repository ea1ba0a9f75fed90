"""Outbound identity federation: IAM's account setting, STS's GetWebIdentityToken (JWTs
verified with the issuer's published keys, as a service outside AWS would), and AssumeRoot,
with IAM enforcement on."""
import json
import urllib.error
import urllib.request

import jwt
import pytest

from iam.conftest import ACCOUNT, allow, doc, error_of

NS = "https://sts.amazonaws.com/"


def fetch(url):
    with urllib.request.urlopen(url) as r:
        return json.load(r)


def verify(token, issuer, audience):
    """Check a token the way an external service would: the issuer's discovery, its JWKS, the kid."""
    config = fetch(issuer + "/.well-known/openid-configuration")
    assert config["issuer"] == issuer
    keys = {k["kid"]: k for k in fetch(config["jwks_uri"])["keys"]}
    header = jwt.get_unverified_header(token)
    key = jwt.PyJWK(keys[header["kid"]]).key
    return jwt.decode(token, key, algorithms=[header["alg"]], audience=audience, issuer=issuer,
                      options={"verify_exp": False, "verify_iat": False})


def test_the_account_setting(iam):
    assert error_of(iam.get_outbound_web_identity_federation_info)["Code"] == "FeatureDisabled"
    assert error_of(iam.disable_outbound_web_identity_federation)["Status"] == 404
    issuer = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
    assert issuer.startswith("http://") and "/_nubis/sts/tokens/" in issuer
    e = error_of(iam.enable_outbound_web_identity_federation)
    assert (e["Code"], e["Status"]) == ("FeatureEnabled", 409)
    info = iam.get_outbound_web_identity_federation_info()
    assert (info["IssuerIdentifier"], info["JwtVendingEnabled"]) == (issuer, True)
    iam.disable_outbound_web_identity_federation()
    info = iam.get_outbound_web_identity_federation_info()
    assert (info["IssuerIdentifier"], info["JwtVendingEnabled"]) == (issuer, False)
    e = error_of(iam.disable_outbound_web_identity_federation)
    assert (e["Code"], e["Status"]) == ("FeatureDisabled", 404)
    # The account keeps its issuer: enabled again, it is the same URL.
    assert iam.enable_outbound_web_identity_federation()["IssuerIdentifier"] == issuer


def test_a_token_for_an_iam_user_verifies_with_the_published_keys(iam, client, user):
    key = user("dev", allow("sts:GetWebIdentityToken"))
    iam.tag_user(UserName="dev", Tags=[{"Key": "team", "Value": "data"}])
    sts = client("sts", creds=key)
    e = error_of(sts.get_web_identity_token, Audience=["https://api.example.com"], SigningAlgorithm="RS256")
    assert (e["Code"], e["Status"]) == ("OutboundWebIdentityFederationDisabledException", 403)

    issuer = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
    for alg in ("RS256", "ES384"):
        out = sts.get_web_identity_token(Audience=["https://api.example.com"], SigningAlgorithm=alg,
                                         Tags=[{"Key": "job-id", "Value": "j-1"}])
        assert jwt.get_unverified_header(out["WebIdentityToken"])["alg"] == alg
        claims = verify(out["WebIdentityToken"], issuer, "https://api.example.com")
        assert claims["sub"] == f"arn:aws:iam::{ACCOUNT}:user/dev"
        assert claims["exp"] - claims["iat"] == 300  # the default duration
        assert out["Expiration"].timestamp() == claims["exp"]
        assert claims[NS]["aws_account"] == ACCOUNT and claims[NS]["source_region"] == "us-east-1"
        assert claims[NS]["principal_tags"] == {"team": "data"}
        assert claims[NS]["request_tags"] == {"job-id": "j-1"}
    several = sts.get_web_identity_token(Audience=["a", "b"], SigningAlgorithm="RS256", DurationSeconds=60)
    claims = verify(several["WebIdentityToken"], issuer, "b")
    assert claims["aud"] == ["a", "b"] and claims["exp"] - claims["iat"] == 60
    # A token made after the feature is disabled is refused; one made before still verifies.
    iam.disable_outbound_web_identity_federation()
    assert error_of(sts.get_web_identity_token, Audience=["a"],
                    SigningAlgorithm="RS256")["Code"] == "OutboundWebIdentityFederationDisabledException"
    assert verify(several["WebIdentityToken"], issuer, "a")["sub"] == f"arn:aws:iam::{ACCOUNT}:user/dev"


def test_a_role_session_token_names_the_role_and_cannot_outlive_the_session(iam, client, user):
    iam.enable_outbound_web_identity_federation()
    issuer = iam.get_outbound_web_identity_federation_info()["IssuerIdentifier"]
    iam.create_role(RoleName="worker", Path="/jobs/", AssumeRolePolicyDocument=doc(
        {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": ["sts:AssumeRole", "sts:TagSession"]}),
        Tags=[{"Key": "team", "Value": "role-team"}, {"Key": "env", "Value": "prod"}])
    iam.put_role_policy(RoleName="worker", PolicyName="p", PolicyDocument=doc(allow("sts:GetWebIdentityToken")))
    creds = client("sts").assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/jobs/worker", RoleSessionName="s1",
                                      DurationSeconds=900, Tags=[{"Key": "team", "Value": "session-team"}])
    sts = client("sts", creds=creds["Credentials"])
    out = sts.get_web_identity_token(Audience=["x"], SigningAlgorithm="ES384", DurationSeconds=600)
    claims = verify(out["WebIdentityToken"], issuer, "x")
    assert claims["sub"] == f"arn:aws:iam::{ACCOUNT}:role/jobs/worker"
    assert claims[NS]["principal_tags"] == {"team": "session-team", "env": "prod"}
    assert "request_tags" not in claims[NS]
    e = error_of(sts.get_web_identity_token, Audience=["x"], SigningAlgorithm="ES384", DurationSeconds=1200)
    assert (e["Code"], e["Status"]) == ("SessionDurationEscalationException", 403)


def test_who_may_ask_and_what_is_checked(iam, client, user):
    iam.enable_outbound_web_identity_federation()
    key = user("nobody", allow("iam:GetUser"))
    e = error_of(client("sts", creds=key).get_web_identity_token, Audience=["x"], SigningAlgorithm="RS256")
    assert (e["Code"], e["Status"]) == ("AccessDenied", 403)
    assert "sts:GetWebIdentityToken" in e["Message"]
    # The condition keys of the IAM user guide's example: which audience, how long.
    limited = client("sts", creds=user("limited", {
        "Effect": "Allow", "Action": "sts:GetWebIdentityToken", "Resource": "*",
        "Condition": {"ForAllValues:StringEquals": {"sts:IdentityTokenAudience": "https://api.example.com"},
                      "NumericLessThanEquals": {"sts:DurationSeconds": "300"}}}))
    assert limited.get_web_identity_token(Audience=["https://api.example.com"], SigningAlgorithm="RS256")
    for kwargs in ({"Audience": ["https://elsewhere"]}, {"Audience": ["https://api.example.com"],
                                                        "DurationSeconds": 900}):
        assert error_of(limited.get_web_identity_token, SigningAlgorithm="RS256", **kwargs)["Code"] == \
            "AccessDenied"
    sts = client("sts")
    e = error_of(sts.get_web_identity_token, Audience=["x"], SigningAlgorithm="HS256")
    assert (e["Code"], e["Status"]) == ("ValidationError", 400)
    assert "[RS256, ES384]" in e["Message"]


def test_discovery_of_an_unknown_issuer_is_not_found(cloud):
    with pytest.raises(urllib.error.HTTPError) as info:
        fetch(cloud.endpoint + "/_nubis/sts/tokens/no-such-issuer/.well-known/openid-configuration")
    assert info.value.code == 404


def test_assume_root_needs_an_organization(client, user):
    key = user("admin", allow("sts:AssumeRoot"))
    for sts in (client("sts"), client("sts", creds=key)):
        e = error_of(sts.assume_root, TargetPrincipal="111122223333",
                     TaskPolicyArn={"arn": "arn:aws:iam::aws:policy/root-task/IAMAuditRootUserCredentials"},
                     DurationSeconds=900)
        assert (e["Code"], e["Status"]) == ("AccessDenied", 403)
        assert e["Message"].endswith("is not authorized to perform: sts:AssumeRoot on resource: "
                                     "arn:aws:iam::111122223333:root")
