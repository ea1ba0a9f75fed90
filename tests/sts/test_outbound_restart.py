"""Outbound federation survives a restart (a kill -9): the account's setting and issuer,
the signing keys (a token issued before verifies after), IAM's report jobs and delegation requests."""
import json
import urllib.request

import jwt

from nubis.testing import free_port


def fetch(url):
    with urllib.request.urlopen(url) as r:
        return json.load(r)


def test_tokens_and_reports_outlive_a_restart(server_process, tmp_path):
    data, port = str(tmp_path / "data"), free_port()
    server = server_process("--data-dir", data, port=port)
    iam = server.client("iam")
    issuer = iam.enable_outbound_web_identity_federation()["IssuerIdentifier"]
    tokens = {alg: server.client("sts").get_web_identity_token(Audience=["aud"], SigningAlgorithm=alg)
              ["WebIdentityToken"] for alg in ("RS256", "ES384")}
    job = iam.generate_service_last_accessed_details(Arn="arn:aws:iam::aws:policy/AmazonSQSFullAccess")["JobId"]
    before = iam.get_service_last_accessed_details(JobId=job)["ServicesLastAccessed"]
    partner = server.client("iam", aws_access_key_id="111122223333")
    rid = partner.create_delegation_request(
        OwnerAccountId="000000000000", Description="d", RequestorWorkflowId="wf-restart", SessionDuration=300,
        Permissions={"PolicyTemplateArn": "arn:aws:iam::aws:policy/ReadOnlyAccess"},
        NotificationChannel="arn:aws:sns:us-east-1:111122223333:t")["DelegationRequestId"]
    iam.associate_delegation_request(DelegationRequestId=rid)
    server.kill9()
    server = server_process("--data-dir", data, port=port)

    iam = server.client("iam")
    info = iam.get_outbound_web_identity_federation_info()
    assert (info["IssuerIdentifier"], info["JwtVendingEnabled"]) == (issuer, True)
    keys = {k["kid"]: k for k in fetch(issuer + "/.well-known/jwks.json")["keys"]}
    for alg, token in tokens.items():
        key = jwt.PyJWK(keys[jwt.get_unverified_header(token)["kid"]]).key
        claims = jwt.decode(token, key, algorithms=[alg], audience="aud", issuer=issuer,
                            options={"verify_exp": False, "verify_iat": False})
        assert claims["sub"] == "arn:aws:iam::000000000000:root"
    assert iam.get_service_last_accessed_details(JobId=job)["ServicesLastAccessed"] == before
    assert [s["ServiceNamespace"] for s in before] == ["sqs"]
    assert iam.get_delegation_request(DelegationRequestId=rid)["DelegationRequest"]["State"] == "ASSIGNED"
