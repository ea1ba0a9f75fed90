"""The policy evaluator on its own (nubis.auth.policy): elements, wildcards,
condition operators, set qualifiers and policy variables. The wire tests in
test_bucket_policy.py show the same evaluator deciding real requests."""
from __future__ import annotations

import json

import pytest

from nubis.auth.policy import ALLOW, DENY, IMPLICIT, Request, evaluate, is_public

ME = "arn:aws:iam::111122223333:user/alice"


def req(action="s3:GetObject", resource="arn:aws:s3:::b/k", principal=ME, account="111122223333", **keys):
    return Request(action, resource, principal, account, keys={k.lower().replace("__", ":"): v
                                                                 for k, v in keys.items()})


def idp(*statements):
    return {"Version": "2012-10-17", "Statement": list(statements)}


def allow(**extra):
    return {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*", **extra}


def test_allow_deny_and_implicit_deny():
    assert evaluate([idp(allow())], req()) == ALLOW
    assert evaluate([idp(allow(), {**allow(), "Effect": "Deny"})], req()) == DENY
    assert evaluate([idp(allow(Action="s3:PutObject"))], req()) == IMPLICIT
    assert evaluate([], req()) == IMPLICIT
    assert evaluate(['{"Statement": {"Effect": "Allow", "Action": "*", "Resource": "*"}}'], req()) == ALLOW


def test_actions_match_case_insensitively_with_wildcards():
    assert evaluate([idp(allow(Action="S3:get*"))], req()) == ALLOW
    assert evaluate([idp(allow(Action=["sqs:*", "s3:?etObject"]))], req()) == ALLOW
    assert evaluate([idp(allow(Action="s3:Get"))], req()) == IMPLICIT
    assert evaluate([idp({"Effect": "Allow", "NotAction": "s3:Put*", "Resource": "*"})], req()) == ALLOW
    assert evaluate([idp({"Effect": "Allow", "NotAction": "s3:Get*", "Resource": "*"})], req()) == IMPLICIT


def test_resources_match_case_sensitively_part_by_part():
    assert evaluate([idp(allow(Resource="arn:aws:s3:::b/*"))], req()) == ALLOW
    assert evaluate([idp(allow(Resource="arn:aws:s3:::B/*"))], req()) == IMPLICIT
    assert evaluate([idp(allow(Resource="arn:aws:s3:::b/?"))], req()) == ALLOW
    assert evaluate([idp(allow(Resource="arn:aws:s3:::b"))], req()) == IMPLICIT
    assert evaluate([idp(allow(Resource=None) | {"NotResource": "arn:aws:s3:::other/*"})], req()) == IMPLICIT
    st = {"Effect": "Allow", "Action": "s3:GetObject", "NotResource": "arn:aws:s3:::other/*"}
    assert evaluate([idp(st)], req()) == ALLOW


@pytest.mark.parametrize("principal,expected", [
    ("*", ALLOW), ({"AWS": "*"}, ALLOW), ({"AWS": "111122223333"}, ALLOW),
    ({"AWS": "arn:aws:iam::111122223333:root"}, ALLOW), ({"AWS": [ME]}, ALLOW),
    ({"AWS": "444455556666"}, IMPLICIT), ({"AWS": "arn:aws:iam::111122223333:user/bob"}, IMPLICIT),
    ({"Service": "sns.amazonaws.com"}, IMPLICIT)])
def test_principals_of_resource_policies(principal, expected):
    assert evaluate([idp(allow(Principal=principal))], req(), resource_policy=True) == expected


def test_service_and_anonymous_principals_and_not_principal():
    svc = Request("sqs:SendMessage", "arn:aws:sqs:us-east-1:1:q", None, None, "sns.amazonaws.com")
    st = {"Effect": "Allow", "Principal": {"Service": ["sns.amazonaws.com"]}, "Action": "sqs:*", "Resource": "*"}
    assert evaluate([idp(st)], svc, resource_policy=True) == ALLOW
    anon = req(principal=None, account=None)
    assert evaluate([idp(allow(Principal={"AWS": "111122223333"}))], anon, resource_policy=True) == IMPLICIT
    assert evaluate([idp(allow(Principal="*"))], anon, resource_policy=True) == ALLOW
    deny_others = {"Effect": "Deny", "NotPrincipal": {"AWS": ME}, "Action": "*", "Resource": "*"}
    assert evaluate([idp(allow(Principal="*"), deny_others)], req(), resource_policy=True) == ALLOW
    assert evaluate([idp(allow(Principal="*"), deny_others)], anon, resource_policy=True) == DENY
    # A resource policy statement without a principal applies to no one.
    assert evaluate([idp(allow())], req(), resource_policy=True) == IMPLICIT


@pytest.mark.parametrize("condition,keys,expected", [
    ({"StringEquals": {"s3:prefix": "home/"}}, {"s3__prefix": "home/"}, True),
    ({"StringEquals": {"s3:prefix": "home/"}}, {"s3__prefix": "Home/"}, False),
    ({"StringEquals": {"s3:prefix": ["a", "home/"]}}, {"s3__prefix": "home/"}, True),
    ({"StringEqualsIgnoreCase": {"s3:prefix": "HOME/"}}, {"s3__prefix": "home/"}, True),
    ({"StringNotEquals": {"s3:prefix": ["a", "b"]}}, {"s3__prefix": "c"}, True),
    ({"StringNotEquals": {"s3:prefix": ["a", "b"]}}, {"s3__prefix": "b"}, False),
    ({"StringNotEquals": {"s3:prefix": "a"}}, {}, True),  # negated: a missing key holds
    ({"StringEquals": {"s3:prefix": "a"}}, {}, False),
    ({"StringEqualsIfExists": {"s3:prefix": "a"}}, {}, True),
    ({"StringEqualsIfExists": {"s3:prefix": "a"}}, {"s3__prefix": "b"}, False),
    ({"StringLike": {"s3:prefix": "home/*"}}, {"s3__prefix": "home/x/y"}, True),
    ({"StringLike": {"s3:prefix": "home/?"}}, {"s3__prefix": "home/xy"}, False),
    ({"StringNotLike": {"s3:prefix": "home/*"}}, {"s3__prefix": "tmp/x"}, True),
    ({"NumericLessThan": {"s3:max-keys": "10"}}, {"s3__max-keys": "5"}, True),
    ({"NumericLessThan": {"s3:max-keys": "10"}}, {"s3__max-keys": "10"}, False),
    ({"NumericLessThanEquals": {"s3:max-keys": "10"}}, {"s3__max-keys": "10"}, True),
    ({"NumericGreaterThan": {"s3:max-keys": "10"}}, {"s3__max-keys": "abc"}, False),
    ({"NumericNotEquals": {"s3:max-keys": "10"}}, {"s3__max-keys": "11"}, True),
    ({"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}, {"aws__currenttime": "2026-11-29T11:00:00Z"},
     True),
    ({"DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}}, {"aws__currenttime": "2026-11-29T11:00:00Z"},
     False),
    ({"DateGreaterThanEquals": {"aws:CurrentTime": "1700000000"}}, {"aws__currenttime": "2026-11-29T11:00:00Z"},
     True),
    ({"Bool": {"aws:SecureTransport": "false"}}, {"aws__securetransport": "false"}, True),
    ({"Bool": {"aws:SecureTransport": True}}, {"aws__securetransport": "false"}, False),
    ({"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}, {"aws__sourceip": "192.0.2.7"}, True),
    ({"IpAddress": {"aws:SourceIp": "192.0.2.0/24"}}, {"aws__sourceip": "198.51.100.1"}, False),
    ({"IpAddress": {"aws:SourceIp": "2001:db8::/32"}}, {"aws__sourceip": "2001:db8::1"}, True),
    ({"NotIpAddress": {"aws:SourceIp": ["192.0.2.0/24", "10.0.0.0/8"]}}, {"aws__sourceip": "127.0.0.1"}, True),
    ({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:111122223333:*"}},
     {"aws__sourcearn": "arn:aws:sns:us-east-1:111122223333:topic"}, True),
    ({"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:111122223333:topic"}},
     {"aws__sourcearn": "arn:aws:sns:us-east-1:111122223333:other"}, False),
    ({"ArnNotLike": {"aws:SourceArn": "arn:aws:sns:*:111122223333:*"}}, {}, True),
    ({"Null": {"aws:SourceArn": "true"}}, {}, True),
    ({"Null": {"aws:SourceArn": "false"}}, {}, False),
    ({"Null": {"aws:SourceArn": "false"}}, {"aws__sourcearn": "arn:x"}, True),
    ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a", "b"]}}, {"aws__tagkeys": ["b", "z"]}, True),
    ({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}}, {}, False),
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}, {"aws__tagkeys": ["b", "z"]}, False),
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}}, {"aws__tagkeys": ["b", "a"]}, True),
    ({"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}}, {}, True),  # vacuously true
    ({"ForAllValues:StringLike": {"aws:TagKeys": ["team-*"]}}, {"aws__tagkeys": ["team-a", "team-b"]}, True),
    ({"StringEquals": {"aws:PrincipalAccount": "111122223333"}, "Bool": {"aws:SecureTransport": "true"}},
     {"aws__principalaccount": "111122223333", "aws__securetransport": "false"}, False),  # operators AND
    ({"NoSuchOperator": {"s3:prefix": "a"}}, {"s3__prefix": "a"}, False),
])
def test_condition_operators(condition, keys, expected):
    assert (evaluate([idp(allow(Condition=condition))], req(**keys)) == ALLOW) is expected


def test_policy_variables():
    st = allow(Resource="arn:aws:s3:::b/home/${aws:username}/*")
    assert evaluate([idp(st)], req(resource="arn:aws:s3:::b/home/alice/f", aws__username="alice")) == ALLOW
    assert evaluate([idp(st)], req(resource="arn:aws:s3:::b/home/bob/f", aws__username="alice")) == IMPLICIT
    assert evaluate([idp(st)], req(resource="arn:aws:s3:::b/home/alice/f")) == IMPLICIT  # no username: no match
    cond = allow(Condition={"StringLike": {"s3:prefix": ["home/${aws:username}/*"]}})
    assert evaluate([idp(cond)], req(s3__prefix="home/alice/x", aws__username="alice")) == ALLOW
    dflt = allow(Resource="arn:aws:s3:::b/${aws:username, 'shared'}/*")
    assert evaluate([idp(dflt)], req(resource="arn:aws:s3:::b/shared/f")) == ALLOW
    literal = allow(Resource="arn:aws:s3:::b/${*}")
    assert evaluate([idp(literal)], req(resource="arn:aws:s3:::b/*")) == ALLOW
    assert evaluate([idp(literal)], req(resource="arn:aws:s3:::b/k")) == IMPLICIT


def test_what_counts_as_public():
    assert is_public(idp(allow(Principal="*")))
    assert is_public(idp(allow(Principal={"AWS": ["*"]})))
    assert not is_public(idp(allow(Principal={"AWS": "111122223333"})))
    assert not is_public(idp(allow(Principal="*", Condition={"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})))
    assert not is_public(idp({**allow(Principal="*"), "Effect": "Deny"}))
    assert is_public(idp(allow(Principal="*", Condition={"StringLike": {"aws:SourceArn": "*"}})))


def test_a_role_names_its_sessions():
    session = req(principal="arn:aws:sts::111122223333:assumed-role/reader/alice-session")
    st = allow(Principal={"AWS": "arn:aws:iam::111122223333:role/reader"})
    assert evaluate([idp(st)], session, resource_policy=True) == ALLOW
    other = allow(Principal={"AWS": "arn:aws:iam::111122223333:role/writer"})
    assert evaluate([idp(other)], session, resource_policy=True) == IMPLICIT


def test_a_stored_policy_text_decides_as_its_document_does():
    # Texts (what IAM stores) take the compiled path (policy._compiled), documents the general one.
    statements = [allow(Action=a, Resource=r)
                  for a in ("s3:GetObject", "S3:getobject", "s3:Get*", "s3:?etObject", ["sqs:*", "s3:GetObject"],
                            "s3:Put*", [])
                  for r in ("*", "arn:aws:s3:::b/k", "arn:aws:s3:::B/k", "arn:aws:s3:::b/*",
                            "arn:aws:s3:::${aws:username}/k", "arn:aws:s3:::b/${*}",
                            ["arn:aws:s3:::x", "arn:aws:s3:::b/k"], [])]
    statements += [{"Effect": "Allow", "NotAction": "s3:Put*", "NotResource": "arn:aws:s3:::x/*"},
                   {"Effect": "Deny", "NotAction": ["s3:Get*"], "Resource": "*"},
                   {"Effect": "Allow", "Action": "s3:GetObject"}, {"Effect": "Allow", "Resource": "*"},
                   allow(Condition={"StringEquals": {"aws:username": "b"}})]
    requests = [req(), req(action="s3:PutObject"), req(resource="arn:aws:s3:::b/*"),
                req(aws__username="b"), req(resource="arn:aws:s3:::x/k", aws__username="x")]
    for st in statements:
        for resource_policy in (False, True):
            doc = idp({**st, "Principal": "*"} if resource_policy else st)
            for r in requests:
                assert evaluate([json.dumps(doc)], r, resource_policy=resource_policy) == \
                    evaluate([doc], r, resource_policy=resource_policy), (st, r, resource_policy)
