"""A table of policy-evaluation cases, each with the decision that the IAM user
guide's "Policy evaluation logic" gives (explicit deny wins; within an account an
allow in an identity or resource policy suffices, across accounts both must
allow; a permissions boundary or session policy bounds what identity policies
allow; condition operators, set qualifiers and policy variables as the "IAM JSON
policy elements reference" describes them).

Every case is asked of SimulateCustomPolicy and of SimulatePrincipalPolicy (for
an IAM user holding the case's policies); the cases marked ``wire`` are also
tried as real signed requests by that user against S3, SQS or DynamoDB. Session
policies are tried with a role session (AssumeRole with ``Policy``).
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

import pytest

from nubis.testing.fixtures import enforcing  # noqa: F401  (a second nubis enforcing IAM, per module)

from .conftest import OWNER, error_of
from .test_service_authorizers import as_user, user  # noqa: F401  (fixture)

OTHER_OWNER = "arn:aws:iam::111122223333:root"
ME = f"arn:aws:iam::{OWNER}:user/alice"
BOB = f"arn:aws:iam::{OWNER}:user/bob"
OBJ = "arn:aws:s3:::tbl-bucket/docs/a.txt"
QUEUE = f"arn:aws:sqs:us-east-1:{OWNER}:tbl-queue"
TABLE = f"arn:aws:dynamodb:us-east-1:{OWNER}:table/tbl"
A, D, I = "allowed", "explicitDeny", "implicitDeny"
_PLAIN_HTTP = {"aws:SecureTransport": ("boolean", ["false"])}


@dataclass
class Case:
    name: str
    expect: str
    identity: list                     # statements of the user's one identity policy
    action: str = "s3:GetObject"
    resource: str = OBJ
    context: dict = field(default_factory=dict)   # key -> value, or (type, [values])
    boundary: list | None = None       # statements of a permissions boundary
    rp: list | None = None             # statements of the resource's policy
    owner: str | None = None           # the resource's owner (another account)
    caller: str = ME
    wire: bool = False                 # also tried as a real request


def allow(action="s3:GetObject", resource="*", **extra):
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def deny(action="s3:GetObject", resource="*", **extra):
    return {"Effect": "Deny", "Action": action, "Resource": resource, **extra}


def cond(block, action="s3:GetObject", effect="Allow"):
    return {"Effect": effect, "Action": action, "Resource": "*", "Condition": block}


def grant(principal, action="s3:GetObject", resource="*", effect="Allow", **extra):
    return {"Effect": effect, "Principal": principal, "Action": action, "Resource": resource, **extra}


CASES = [
    # -- identity policies: actions and resources ------------------------------------------------
    Case("allow exact", A, [allow()], wire=True),
    Case("no statement is an implicit deny", I, [], wire=True),
    Case("allow other action", I, [allow("s3:PutObject")], wire=True),
    Case("action wildcard service", A, [allow("s3:*")], wire=True),
    Case("action wildcard all", A, [allow("*")]),
    Case("action prefix wildcard", A, [allow("s3:Get*")], wire=True),
    Case("action prefix wildcard no match", I, [allow("s3:Put*")]),
    Case("action question mark", A, [allow("s3:GetObjec?")]),
    Case("action case-insensitive", A, [allow("S3:getobject")]),
    Case("action list", A, [allow(["s3:PutObject", "s3:GetObject"])]),
    Case("action other service", I, [allow("sqs:GetObject")]),
    Case("resource exact", A, [allow(resource=OBJ)], wire=True),
    Case("resource bucket only", I, [allow(resource="arn:aws:s3:::tbl-bucket")], wire=True),
    Case("resource wildcard across slashes", A, [allow(resource="arn:aws:s3:::tbl-bucket/*")], wire=True),
    Case("resource prefix", A, [allow(resource="arn:aws:s3:::tbl-bucket/docs/*")]),
    Case("resource other prefix", I, [allow(resource="arn:aws:s3:::tbl-bucket/private/*")], wire=True),
    Case("resource case-sensitive", I, [allow(resource="arn:aws:s3:::TBL-bucket/*")]),
    Case("resource question mark", A, [allow(resource="arn:aws:s3:::tbl-bucket/docs/?.txt")]),
    Case("resource question mark too short", I, [allow(resource="arn:aws:s3:::tbl-bucket/docs/??.txt")]),
    Case("resource list", A, [allow(resource=["arn:aws:s3:::x/*", OBJ])]),
    Case("resource other bucket", I, [allow(resource="arn:aws:s3:::other/*")]),
    Case("sqs queue exact", A, [allow("sqs:SendMessage", QUEUE)], action="sqs:SendMessage", resource=QUEUE,
         wire=True),
    Case("sqs region wildcard", A, [allow("sqs:SendMessage", f"arn:aws:sqs:*:{OWNER}:tbl-queue")],
         action="sqs:SendMessage", resource=QUEUE, wire=True),
    Case("sqs other account", I, [allow("sqs:SendMessage", "arn:aws:sqs:*:111122223333:*")],
         action="sqs:SendMessage", resource=QUEUE, wire=True),
    Case("sqs name wildcard", A, [allow("sqs:*", f"arn:aws:sqs:us-east-1:{OWNER}:tbl-*")],
         action="sqs:SendMessage", resource=QUEUE, wire=True),
    Case("sqs other action", I, [allow("sqs:ReceiveMessage", QUEUE)], action="sqs:SendMessage", resource=QUEUE,
         wire=True),
    Case("dynamodb table", A, [allow("dynamodb:GetItem", TABLE)], action="dynamodb:GetItem", resource=TABLE,
         wire=True),
    Case("dynamodb index is not the table", I, [allow("dynamodb:GetItem", TABLE + "/index/*")],
         action="dynamodb:GetItem", resource=TABLE, wire=True),
    Case("dynamodb table wildcard", A, [allow("dynamodb:*", f"arn:aws:dynamodb:*:{OWNER}:table/t*")],
         action="dynamodb:GetItem", resource=TABLE, wire=True),
    Case("dynamodb other action", I, [allow("dynamodb:PutItem", TABLE)], action="dynamodb:GetItem",
         resource=TABLE, wire=True),
    # -- explicit deny ------------------------------------------------------------------------------
    Case("deny beats allow", D, [allow(), deny()], wire=True),
    Case("deny alone", D, [deny()], wire=True),
    Case("deny wildcard action", D, [allow("*"), deny("s3:*")], wire=True),
    Case("deny other action", A, [allow(), deny("s3:PutObject")], wire=True),
    Case("deny other resource", A, [allow(), deny(resource="arn:aws:s3:::tbl-bucket/private/*")], wire=True),
    Case("deny same resource prefix", D, [allow(), deny(resource="arn:aws:s3:::tbl-bucket/docs/*")], wire=True),
    Case("deny with unmet condition", A,
         [allow(), deny(Condition={"StringEquals": {"aws:username": "bob"}})], wire=True),
    Case("deny with met condition", D,
         [allow(), deny(Condition={"StringEquals": {"aws:username": "alice"}})], wire=True),
    Case("deny on queue", D, [allow("sqs:*", "*"), deny("sqs:SendMessage", QUEUE)], action="sqs:SendMessage",
         resource=QUEUE, wire=True),
    Case("deny on table", D, [allow("dynamodb:*"), deny("dynamodb:Get*", TABLE)], action="dynamodb:GetItem",
         resource=TABLE, wire=True),
    # -- NotAction / NotResource ------------------------------------------------------------------
    Case("allow NotAction other", A, [{"Effect": "Allow", "NotAction": "s3:DeleteObject", "Resource": "*"}],
         wire=True),
    Case("allow NotAction same", I, [{"Effect": "Allow", "NotAction": "s3:GetObject", "Resource": "*"}], wire=True),
    Case("allow NotAction wildcard", I, [{"Effect": "Allow", "NotAction": "s3:*", "Resource": "*"}]),
    Case("allow NotAction other service", A, [{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}],
         wire=True),
    Case("deny NotAction spares it", A, [allow("*"), {"Effect": "Deny", "NotAction": "s3:GetObject",
                                                      "Resource": "*"}], wire=True),
    Case("deny NotAction hits others", D, [allow("*"), {"Effect": "Deny", "NotAction": "s3:GetObject",
                                                        "Resource": "*"}], action="s3:PutObject"),
    Case("allow NotResource elsewhere", A, [{"Effect": "Allow", "Action": "s3:*",
                                             "NotResource": "arn:aws:s3:::secret/*"}], wire=True),
    Case("allow NotResource here", I, [{"Effect": "Allow", "Action": "s3:*",
                                        "NotResource": "arn:aws:s3:::tbl-bucket/*"}], wire=True),
    Case("deny NotResource outside", D, [allow("*"), {"Effect": "Deny", "Action": "s3:*",
                                                      "NotResource": "arn:aws:s3:::other/*"}], wire=True),
    Case("deny NotResource inside", A, [allow("*"), {"Effect": "Deny", "Action": "s3:*",
                                                     "NotResource": "arn:aws:s3:::tbl-bucket/*"}], wire=True),
    Case("NotAction and NotResource", A, [{"Effect": "Allow", "NotAction": "s3:Delete*",
                                          "NotResource": "arn:aws:s3:::secret/*"}]),
    Case("NotResource list", I, [{"Effect": "Allow", "Action": "*",
                                  "NotResource": ["arn:aws:s3:::x/*", "arn:aws:s3:::tbl-bucket/docs/*"]}]),
    Case("deny NotAction on queue", D, [allow("*"), {"Effect": "Deny", "NotAction": "sqs:ReceiveMessage",
                                                     "Resource": QUEUE}], action="sqs:SendMessage", resource=QUEUE,
         wire=True),
    # -- permissions boundaries -------------------------------------------------------------------
    Case("boundary allows", A, [allow("s3:*")], boundary=[allow("s3:GetObject")], wire=True),
    Case("boundary does not allow", I, [allow("s3:*")], boundary=[allow("s3:PutObject")], wire=True),
    Case("boundary allows but identity does not", I, [], boundary=[allow("s3:*")], wire=True),
    Case("boundary denies", D, [allow("s3:*")], boundary=[allow("*"), deny()], wire=True),
    Case("boundary resource-limited", I, [allow("s3:*")], boundary=[allow("s3:*", "arn:aws:s3:::other/*")],
         wire=True),
    Case("boundary resource matches", A, [allow("s3:*")], boundary=[allow("s3:*", "arn:aws:s3:::tbl-bucket/*")],
         wire=True),
    Case("boundary with met condition", A, [allow()],
         boundary=[cond({"StringEquals": {"aws:username": "alice"}})], wire=True),
    Case("boundary with unmet condition", I, [allow()],
         boundary=[cond({"StringEquals": {"aws:username": "bob"}})], wire=True),
    Case("boundary NotAction", A, [allow("*")], boundary=[{"Effect": "Allow", "NotAction": "iam:*",
                                                           "Resource": "*"}], wire=True),
    Case("boundary and identity deny", D, [allow(), deny()], boundary=[allow()]),
    Case("boundary on queue", I, [allow("sqs:*")], boundary=[allow("sqs:ReceiveMessage")],
         action="sqs:SendMessage", resource=QUEUE, wire=True),
    Case("boundary on table", A, [allow("dynamodb:*")], boundary=[allow("dynamodb:GetItem", TABLE)],
         action="dynamodb:GetItem", resource=TABLE, wire=True),
    # -- resource policies, same account ----------------------------------------------------------
    Case("resource policy allows the user", A, [], rp=[grant({"AWS": ME})], wire=True),
    Case("resource policy allows another user", I, [], rp=[grant({"AWS": BOB})], wire=True),
    # (a public bucket policy is refused by S3's default Block Public Access: tried on a queue)
    Case("resource policy allows everyone", A, [], rp=[grant("*")]),
    Case("queue policy allows everyone", A, [], action="sqs:SendMessage", resource=QUEUE,
         rp=[grant("*", "sqs:SendMessage", QUEUE)], wire=True),
    Case("resource policy allows the account", A, [], rp=[grant({"AWS": f"arn:aws:iam::{OWNER}:root"})]),
    Case("resource policy other action", I, [], rp=[grant({"AWS": ME}, "s3:PutObject")], wire=True),
    Case("resource policy denies despite identity", D, [allow()], rp=[grant({"AWS": ME}, effect="Deny")],
         wire=True),
    Case("resource policy denies everyone", D, [allow()], rp=[grant("*", effect="Deny")], wire=True),
    Case("identity allows, resource policy silent", A, [allow()], rp=[grant({"AWS": BOB})], wire=True),
    Case("resource policy other resource", I, [], rp=[grant({"AWS": ME}, resource="arn:aws:s3:::tbl-bucket/x/*")],
         wire=True),
    Case("NotPrincipal deny spares the user", A, [allow()],
         rp=[{"Effect": "Deny", "NotPrincipal": {"AWS": ME}, "Action": "s3:*", "Resource": "*"}], wire=True),
    Case("NotPrincipal deny hits others", D, [allow()],
         rp=[{"Effect": "Deny", "NotPrincipal": {"AWS": BOB}, "Action": "s3:*", "Resource": "*"}], wire=True),
    Case("resource policy with met condition", A, [],
         rp=[grant({"AWS": ME}, Condition={"StringEquals": {"aws:PrincipalType": "User"}})],
         context={"aws:PrincipalType": "User"}),
    Case("resource policy with unmet condition", I, [],
         rp=[grant({"AWS": ME}, Condition={"StringEquals": {"aws:username": "bob"}})], wire=True),
    Case("queue policy allows the user", A, [], action="sqs:SendMessage", resource=QUEUE,
         rp=[grant({"AWS": ME}, "sqs:SendMessage", QUEUE)], wire=True),
    Case("queue policy denies", D, [allow("sqs:*")], action="sqs:SendMessage", resource=QUEUE,
         rp=[grant("*", "sqs:SendMessage", QUEUE, effect="Deny")], wire=True),
    Case("table policy allows the user", A, [], action="dynamodb:GetItem", resource=TABLE,
         rp=[grant({"AWS": ME}, "dynamodb:GetItem", TABLE)], wire=True),
    Case("table policy denies", D, [allow("dynamodb:*")], action="dynamodb:GetItem", resource=TABLE,
         rp=[grant({"AWS": ME}, "dynamodb:*", TABLE, effect="Deny")], wire=True),
    # -- resource policies, another account's resource ---------------------------------------------
    Case("cross-account both allow", A, [allow()], rp=[grant({"AWS": ME})], owner=OTHER_OWNER),
    Case("cross-account identity only", I, [allow()], rp=[grant({"AWS": BOB})], owner=OTHER_OWNER),
    Case("cross-account resource only", I, [], rp=[grant({"AWS": ME})], owner=OTHER_OWNER),
    Case("cross-account resource denies", D, [allow()], rp=[grant({"AWS": ME}), grant("*", effect="Deny")],
         owner=OTHER_OWNER),
    Case("cross-account account principal", A, [allow()], rp=[grant({"AWS": OWNER})], owner=OTHER_OWNER),
    Case("cross-account identity denies", D, [deny()], rp=[grant({"AWS": ME})], owner=OTHER_OWNER),
    Case("cross-account wrong action", I, [allow("s3:*")], rp=[grant({"AWS": ME}, "s3:PutObject")],
         owner=OTHER_OWNER),
    Case("cross-account everyone", A, [allow()], rp=[grant("*")], owner=OTHER_OWNER),
    # -- string conditions -------------------------------------------------------------------------
    Case("StringEquals match", A, [cond({"StringEquals": {"aws:username": "alice"}})], wire=True),
    Case("StringEquals case matters", I, [cond({"StringEquals": {"aws:username": "Alice"}})], wire=True),
    Case("StringEquals any of values", A, [cond({"StringEquals": {"aws:username": ["bob", "alice"]}})], wire=True),
    Case("StringEquals missing key", I, [cond({"StringEquals": {"s3:prefix": "docs"}})]),
    Case("StringNotEquals match", I, [cond({"StringNotEquals": {"aws:username": "alice"}})], wire=True),
    Case("StringNotEquals other", A, [cond({"StringNotEquals": {"aws:username": "bob"}})], wire=True),
    Case("StringNotEquals missing key", A, [cond({"StringNotEquals": {"s3:prefix": "docs"}})]),
    Case("StringNotEquals any of values", I, [cond({"StringNotEquals": {"aws:username": ["bob", "alice"]}})]),
    Case("StringEqualsIgnoreCase", A, [cond({"StringEqualsIgnoreCase": {"aws:username": "ALICE"}})], wire=True),
    Case("StringNotEqualsIgnoreCase", I, [cond({"StringNotEqualsIgnoreCase": {"aws:username": "ALICE"}})]),
    Case("StringLike star", A, [cond({"StringLike": {"aws:username": "al*"}})], wire=True),
    Case("StringLike question", A, [cond({"StringLike": {"aws:username": "alic?"}})]),
    Case("StringLike no match", I, [cond({"StringLike": {"aws:username": "bo*"}})], wire=True),
    Case("StringNotLike", I, [cond({"StringNotLike": {"aws:username": "a*"}})]),
    Case("StringNotLike other", A, [cond({"StringNotLike": {"aws:username": "b*"}})]),
    Case("StringEqualsIfExists missing", A, [cond({"StringEqualsIfExists": {"s3:prefix": "docs"}})]),
    Case("StringEqualsIfExists present wrong", I, [cond({"StringEqualsIfExists": {"s3:prefix": "docs"}})],
         context={"s3:prefix": "private"}),
    Case("StringEqualsIfExists present right", A, [cond({"StringEqualsIfExists": {"s3:prefix": "docs"}})],
         context={"s3:prefix": "docs"}),
    Case("StringEquals context key", A, [cond({"StringEquals": {"s3:x-amz-acl": "private"}})],
         context={"s3:x-amz-acl": "private"}),
    Case("two keys in a block are ANDed", I,
         [cond({"StringEquals": {"aws:username": "alice", "s3:prefix": "docs"}})], context={"s3:prefix": "x"}),
    Case("two keys in a block both hold", A,
         [cond({"StringEquals": {"aws:username": "alice", "s3:prefix": "docs"}})], context={"s3:prefix": "docs"}),
    Case("two operators are ANDed", I,
         [cond({"StringEquals": {"aws:username": "alice"}, "StringLike": {"s3:prefix": "p*"}})],
         context={"s3:prefix": "docs"}),
    Case("two operators both hold", A,
         [cond({"StringEquals": {"aws:username": "alice"}, "StringLike": {"s3:prefix": "d*"}})],
         context={"s3:prefix": "docs"}),
    Case("condition key names are case-insensitive", A, [cond({"StringEquals": {"AWS:UserName": "alice"}})],
         wire=True),
    # -- numeric conditions ------------------------------------------------------------------------
    Case("NumericEquals", A, [cond({"NumericEquals": {"s3:max-keys": "10"}})], context={"s3:max-keys": "10"}),
    Case("NumericEquals other", I, [cond({"NumericEquals": {"s3:max-keys": "10"}})], context={"s3:max-keys": "11"}),
    Case("NumericNotEquals", A, [cond({"NumericNotEquals": {"s3:max-keys": "10"}})], context={"s3:max-keys": "11"}),
    Case("NumericLessThan", A, [cond({"NumericLessThan": {"s3:max-keys": "10"}})], context={"s3:max-keys": "9"}),
    Case("NumericLessThan equal", I, [cond({"NumericLessThan": {"s3:max-keys": "10"}})],
         context={"s3:max-keys": "10"}),
    Case("NumericLessThanEquals", A, [cond({"NumericLessThanEquals": {"s3:max-keys": "10"}})],
         context={"s3:max-keys": "10"}),
    Case("NumericGreaterThan", A, [cond({"NumericGreaterThan": {"s3:max-keys": "10"}})],
         context={"s3:max-keys": "10.5"}),
    Case("NumericGreaterThan less", I, [cond({"NumericGreaterThan": {"s3:max-keys": "10"}})],
         context={"s3:max-keys": "2"}),
    Case("NumericGreaterThanEquals", A, [cond({"NumericGreaterThanEquals": {"s3:max-keys": "10"}})],
         context={"s3:max-keys": "10"}),
    Case("Numeric missing key", I, [cond({"NumericLessThan": {"s3:max-keys": "10"}})]),
    Case("NumericLessThanIfExists missing", A, [cond({"NumericLessThanIfExists": {"s3:max-keys": "10"}})]),
    Case("Numeric not a number", I, [cond({"NumericLessThan": {"s3:max-keys": "10"}})],
         context={"s3:max-keys": "ten"}),
    # -- date conditions ---------------------------------------------------------------------------
    Case("DateGreaterThan", A, [cond({"DateGreaterThan": {"aws:CurrentTime": "2020-01-01T00:00:00Z"}})],
         context={"aws:CurrentTime": ("date", ["2024-06-01T00:00:00Z"])}),
    Case("DateGreaterThan before", I, [cond({"DateGreaterThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}})],
         context={"aws:CurrentTime": ("date", ["2024-06-01T00:00:00Z"])}),
    Case("DateLessThan", A, [cond({"DateLessThan": {"aws:CurrentTime": "2030-01-01T00:00:00Z"}})],
         context={"aws:CurrentTime": ("date", ["2024-06-01T00:00:00Z"])}),
    Case("DateLessThanEquals same", A, [cond({"DateLessThanEquals": {"aws:CurrentTime": "2024-06-01T00:00:00Z"}})],
         context={"aws:CurrentTime": ("date", ["2024-06-01T00:00:00Z"])}),
    Case("DateEquals", A, [cond({"DateEquals": {"aws:CurrentTime": "2024-06-01T00:00:00Z"}})],
         context={"aws:CurrentTime": ("date", ["2024-06-01T00:00:00Z"])}),
    Case("DateNotEquals", I, [cond({"DateNotEquals": {"aws:CurrentTime": "2024-06-01T00:00:00Z"}})],
         context={"aws:CurrentTime": ("date", ["2024-06-01T00:00:00Z"])}),
    Case("Date window", A, [cond({"DateGreaterThan": {"aws:CurrentTime": "2024-01-01T00:00:00Z"},
                                  "DateLessThan": {"aws:CurrentTime": "2025-01-01T00:00:00Z"}})],
         context={"aws:CurrentTime": ("date", ["2024-06-01T00:00:00Z"])}),
    Case("Date outside window", I, [cond({"DateGreaterThan": {"aws:CurrentTime": "2024-01-01T00:00:00Z"},
                                          "DateLessThan": {"aws:CurrentTime": "2024-02-01T00:00:00Z"}})],
         context={"aws:CurrentTime": ("date", ["2024-06-01T00:00:00Z"])}),
    Case("Date as epoch seconds", A, [cond({"DateGreaterThan": {"aws:EpochTime": "1500000000"}})],
         context={"aws:EpochTime": ("date", ["1700000000"])}),
    Case("Date missing key", I, [cond({"DateGreaterThan": {"aws:TokenIssueTime": "2020-01-01T00:00:00Z"}})]),
    # -- Bool, Null, IP, ARN, Binary ------------------------------------------------------------------
    # (the simulator has only the context it is given; the wire is plain HTTP)
    Case("Bool false matches", A, [cond({"Bool": {"aws:SecureTransport": "false"}})], context=_PLAIN_HTTP, wire=True),
    Case("Bool true does not", I, [cond({"Bool": {"aws:SecureTransport": "true"}})], context=_PLAIN_HTTP, wire=True),
    Case("deny insecure transport", D, [allow(), cond({"Bool": {"aws:SecureTransport": "false"}}, effect="Deny")],
         context=_PLAIN_HTTP, wire=True),
    Case("Bool MFA present", A, [cond({"Bool": {"aws:MultiFactorAuthPresent": "true"}})],
         context={"aws:MultiFactorAuthPresent": ("boolean", ["true"])}),
    Case("Bool MFA missing", I, [cond({"Bool": {"aws:MultiFactorAuthPresent": "true"}})]),
    Case("BoolIfExists MFA missing", A, [cond({"BoolIfExists": {"aws:MultiFactorAuthPresent": "true"}})]),
    Case("Null true for a missing key", A, [cond({"Null": {"aws:TokenIssueTime": "true"}})], wire=True),
    Case("Null false for a missing key", I, [cond({"Null": {"aws:TokenIssueTime": "false"}})], wire=True),
    Case("Null false for a present key", A, [cond({"Null": {"aws:username": "false"}})], wire=True),
    Case("Null true for a present key", I, [cond({"Null": {"aws:username": "true"}})], wire=True),
    Case("IpAddress in range", A, [cond({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})],
         context={"aws:SourceIp": ("ip", ["10.1.2.3"])}),
    Case("IpAddress out of range", I, [cond({"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}})],
         context={"aws:SourceIp": ("ip", ["192.168.1.1"])}),
    Case("IpAddress single address", A, [cond({"IpAddress": {"aws:SourceIp": "203.0.113.7/32"}})],
         context={"aws:SourceIp": ("ip", ["203.0.113.7"])}),
    Case("IpAddress any of ranges", A, [cond({"IpAddress": {"aws:SourceIp": ["192.0.2.0/24", "10.0.0.0/8"]}})],
         context={"aws:SourceIp": ("ip", ["10.9.9.9"])}),
    Case("NotIpAddress in range", I, [cond({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}})],
         context={"aws:SourceIp": ("ip", ["10.1.2.3"])}),
    Case("NotIpAddress out of range", A, [cond({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}})],
         context={"aws:SourceIp": ("ip", ["172.16.0.1"])}),
    Case("IpAddress IPv6", A, [cond({"IpAddress": {"aws:SourceIp": "2001:db8::/32"}})],
         context={"aws:SourceIp": ("ip", ["2001:db8::1"])}),
    Case("deny outside the office", D, [allow(), cond({"NotIpAddress": {"aws:SourceIp": "10.0.0.0/8"}},
                                                      effect="Deny")], context={"aws:SourceIp": ("ip", ["1.2.3.4"])}),
    Case("ArnEquals", A, [cond({"ArnEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:000000000000:t"}})],
         context={"aws:SourceArn": "arn:aws:sns:us-east-1:000000000000:t"}),
    Case("ArnLike wildcard", A, [cond({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:000000000000:*"}})],
         context={"aws:SourceArn": "arn:aws:sns:eu-west-1:000000000000:t"}),
    Case("ArnLike other account", I, [cond({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*:000000000000:*"}})],
         context={"aws:SourceArn": "arn:aws:sns:eu-west-1:111122223333:t"}),
    Case("ArnNotLike", A, [cond({"ArnNotLike": {"aws:SourceArn": "arn:aws:sns:*:111122223333:*"}})],
         context={"aws:SourceArn": "arn:aws:sns:eu-west-1:000000000000:t"}),
    Case("ArnNotEquals", I, [cond({"ArnNotEquals": {"aws:SourceArn": "arn:aws:sns:us-east-1:000000000000:t"}})],
         context={"aws:SourceArn": "arn:aws:sns:us-east-1:000000000000:t"}),
    Case("ArnLike missing key", I, [cond({"ArnLike": {"aws:SourceArn": "arn:aws:sns:*"}})]),
    Case("ArnLike PrincipalArn", A, [cond({"ArnLike": {"aws:PrincipalArn": f"arn:aws:iam::{OWNER}:user/*"}})],
         wire=True),
    Case("unknown operator matches nothing", I, [cond({"StringSortOf": {"aws:username": "alice"}})], wire=True),
    # -- set qualifiers ----------------------------------------------------------------------------
    Case("ForAllValues subset", A, [cond({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}})],
         context={"aws:TagKeys": ("stringList", ["a"])}),
    Case("ForAllValues not subset", I, [cond({"ForAllValues:StringEquals": {"aws:TagKeys": ["a", "b"]}})],
         context={"aws:TagKeys": ("stringList", ["a", "c"])}),
    Case("ForAllValues missing key", A, [cond({"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}})]),
    Case("ForAllValues empty list", A, [cond({"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]}})],
         context={"aws:TagKeys": ("stringList", [])}),
    Case("ForAnyValue one matches", A, [cond({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}})],
         context={"aws:TagKeys": ("stringList", ["b", "a"])}),
    Case("ForAnyValue none matches", I, [cond({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}})],
         context={"aws:TagKeys": ("stringList", ["b", "c"])}),
    Case("ForAnyValue missing key", I, [cond({"ForAnyValue:StringEquals": {"aws:TagKeys": ["a"]}})]),
    Case("ForAnyValue StringLike", A, [cond({"ForAnyValue:StringLike": {"aws:TagKeys": ["env*"]}})],
         context={"aws:TagKeys": ("stringList", ["owner", "environment"])}),
    Case("ForAllValues StringLike", I, [cond({"ForAllValues:StringLike": {"aws:TagKeys": ["env*"]}})],
         context={"aws:TagKeys": ("stringList", ["owner", "environment"])}),
    Case("deny ForAnyValue forbidden tag", D, [allow(), cond({"ForAnyValue:StringEquals": {
        "aws:TagKeys": ["admin"]}}, effect="Deny")], context={"aws:TagKeys": ("stringList", ["team", "admin"])}),
    Case("deny ForAnyValue other tags", A, [allow(), cond({"ForAnyValue:StringEquals": {
        "aws:TagKeys": ["admin"]}}, effect="Deny")], context={"aws:TagKeys": ("stringList", ["team"])}),
    Case("ForAllValues with Null guard", I, [cond({"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]},
                                                   "Null": {"aws:TagKeys": "false"}})]),
    Case("ForAllValues with Null guard present", A, [cond({"ForAllValues:StringEquals": {"aws:TagKeys": ["a"]},
                                                           "Null": {"aws:TagKeys": "false"}})],
         context={"aws:TagKeys": ("stringList", ["a"])}),
    # -- policy variables --------------------------------------------------------------------------
    Case("variable in resource", A, [allow(resource="arn:aws:s3:::tbl-bucket/home/${aws:username}/*")],
         resource="arn:aws:s3:::tbl-bucket/home/alice/notes.txt", wire=True),
    Case("variable in resource, another home", I,
         [allow(resource="arn:aws:s3:::tbl-bucket/home/${aws:username}/*")],
         resource="arn:aws:s3:::tbl-bucket/home/bob/notes.txt", wire=True),
    Case("variable in condition", A, [cond({"StringLike": {"s3:prefix": "home/${aws:username}/*"}})],
         context={"s3:prefix": "home/alice/x"}),
    Case("variable in condition, another home", I, [cond({"StringLike": {"s3:prefix": "home/${aws:username}/*"}})],
         context={"s3:prefix": "home/bob/x"}),
    Case("missing variable matches nothing", I,
         [allow(resource="arn:aws:s3:::tbl-bucket/${aws:PrincipalTag/team}/*")],
         resource="arn:aws:s3:::tbl-bucket/x/a.txt"),
    Case("missing variable takes its default", A,
         [allow(resource="arn:aws:s3:::tbl-bucket/${aws:PrincipalTag/team, 'shared'}/*")],
         resource="arn:aws:s3:::tbl-bucket/shared/a.txt"),
    Case("present variable ignores the default", A,
         [allow(resource="arn:aws:s3:::tbl-bucket/${aws:PrincipalTag/team, 'shared'}/*")],
         resource="arn:aws:s3:::tbl-bucket/blue/a.txt", context={"aws:PrincipalTag/team": "blue"}),
    Case("literal star variable", A, [allow(resource="arn:aws:s3:::tbl-bucket/${*}")],
         resource="arn:aws:s3:::tbl-bucket/*"),
    Case("literal star is not a wildcard", I, [allow(resource="arn:aws:s3:::tbl-bucket/${*}")]),
    Case("variable in queue name", A, [allow("sqs:SendMessage", f"arn:aws:sqs:us-east-1:{OWNER}:${{aws:username}}-*")],
         action="sqs:SendMessage", resource=f"arn:aws:sqs:us-east-1:{OWNER}:alice-jobs"),
    Case("variable in table name", I, [allow("dynamodb:GetItem",
                                             f"arn:aws:dynamodb:us-east-1:{OWNER}:table/${{aws:username}}")],
         action="dynamodb:GetItem", resource=TABLE, wire=True),
    Case("PrincipalTag condition", A, [cond({"StringEquals": {"aws:PrincipalTag/team": "blue"}})],
         context={"aws:PrincipalTag/team": "blue"}),
    Case("ResourceTag matches PrincipalTag", A,
         [cond({"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}})],
         context={"aws:PrincipalTag/team": "blue", "aws:ResourceTag/team": "blue"}),
    Case("ResourceTag differs from PrincipalTag", I,
         [cond({"StringEquals": {"aws:ResourceTag/team": "${aws:PrincipalTag/team}"}})],
         context={"aws:PrincipalTag/team": "blue", "aws:ResourceTag/team": "red"}),
    Case("PrincipalArn variable", A, [cond({"StringEquals": {"aws:PrincipalArn": "${aws:PrincipalArn}"}})],
         wire=True),
]


def _entries(context: dict) -> list:
    out = []
    for key, value in context.items():
        kind, values = value if isinstance(value, tuple) else ("string", [value])
        out.append({"ContextKeyName": key, "ContextKeyValues": values, "ContextKeyType": kind})
    return out


def _doc(statements) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def _simulation_params(case: Case) -> dict:
    params: dict = {"ActionNames": [case.action], "ResourceArns": [case.resource],
                    "ContextEntries": _entries(case.context), "CallerArn": case.caller}
    if case.rp is not None:
        params["ResourcePolicy"] = _doc([{**s, "Resource": s.get("Resource", "*")} for s in case.rp])
        if case.owner:
            params["ResourceOwner"] = case.owner
    return params


def test_the_table_is_large_enough():
    assert len(CASES) >= 150
    assert len({c.name for c in CASES}) == len(CASES)


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_case(client, case: Case):
    iam = client("iam")
    params = _simulation_params(case)
    custom = dict(params, PolicyInputList=[_doc(case.identity)] if case.identity else [])
    if case.boundary is not None:
        custom["PermissionsBoundaryPolicyInputList"] = [_doc(case.boundary)]
    if not custom["PolicyInputList"]:
        custom["PolicyInputList"] = [_doc([allow("nothing:Nothing")])]  # the operation needs one policy
    result = iam.simulate_custom_policy(**custom)["EvaluationResults"][0]
    assert result["EvalDecision"] == case.expect, "SimulateCustomPolicy"

    iam.create_user(UserName="alice")
    if case.identity:
        iam.put_user_policy(UserName="alice", PolicyName="inline", PolicyDocument=_doc(case.identity))
    if case.boundary is not None:
        arn = iam.create_policy(PolicyName="boundary", PolicyDocument=_doc(case.boundary))["Policy"]["Arn"]
        iam.put_user_permissions_boundary(UserName="alice", PermissionsBoundary=arn)
    result = iam.simulate_principal_policy(PolicySourceArn=ME, **params)["EvaluationResults"][0]
    assert result["EvalDecision"] == case.expect, "SimulatePrincipalPolicy"


WIRE = [c for c in CASES if c.wire]


@pytest.mark.parametrize("case", WIRE, ids=[c.name for c in WIRE])
def test_case_on_the_wire(client, user, case: Case):  # noqa: F811
    service = case.action.split(":")[0]
    key = user("alice", *case.identity, boundary=_doc(case.boundary) if case.boundary is not None else None)
    allowed = case.expect == A
    if service == "s3":
        s3 = client("s3")
        s3.create_bucket(Bucket="tbl-bucket")
        path = case.resource.split(":::tbl-bucket/", 1)[1]
        s3.put_object(Bucket="tbl-bucket", Key=path, Body=b"x")
        if case.rp is not None:
            s3.put_bucket_policy(Bucket="tbl-bucket", Policy=_doc(
                [{**s, "Resource": "arn:aws:s3:::tbl-bucket/*" if s.get("Resource", "*") == "*" else s["Resource"]}
                 for s in case.rp]))
        mine = as_user(client, "s3", key)
        if allowed:
            assert mine.get_object(Bucket="tbl-bucket", Key=path)["Body"].read() == b"x"
        else:
            assert error_of(mine.get_object, Bucket="tbl-bucket", Key=path)["Code"] == "AccessDenied"
    elif service == "sqs":
        sqs = client("sqs")
        url = sqs.create_queue(QueueName="tbl-queue")["QueueUrl"]
        if case.rp is not None:
            sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": _doc(
                [{**s, "Resource": QUEUE} for s in case.rp])})
        mine = as_user(client, "sqs", key)
        if allowed:
            mine.send_message(QueueUrl=url, MessageBody="x")
        else:
            assert error_of(mine.send_message, QueueUrl=url, MessageBody="x")["Code"] == "AccessDenied"
    else:
        ddb = client("dynamodb")
        ddb.create_table(TableName="tbl", KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                         AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                         BillingMode="PAY_PER_REQUEST")
        if case.rp is not None:
            ddb.put_resource_policy(ResourceArn=TABLE, Policy=_doc([{**s, "Resource": TABLE} for s in case.rp]))
        mine = as_user(client, "dynamodb", key)
        if allowed:
            mine.get_item(TableName="tbl", Key={"pk": {"S": "a"}})
        else:
            assert error_of(mine.get_item, TableName="tbl", Key={"pk": {"S": "a"}})["Code"] == \
                "AccessDeniedException"


SESSION = [
    # (name, role's policy statements, session policy statements, action on the queue, expected)
    ("session policy allows within the role", [allow("sqs:*")], [allow("sqs:SendMessage")], "send", A),
    ("session policy narrower than the call", [allow("sqs:*")], [allow("sqs:ReceiveMessage")], "send", I),
    ("session policy cannot widen the role", [allow("sqs:ReceiveMessage")], [allow("sqs:*")], "send", I),
    ("session policy deny", [allow("sqs:*")], [allow("*"), deny("sqs:SendMessage")], "send", D),
    ("session policy on another resource", [allow("sqs:*")], [allow("sqs:*", "arn:aws:sqs:*:*:other")], "send", I),
    ("session policy wildcard", [allow("sqs:*")], [allow("*")], "receive", A),
    ("session policy NotAction", [allow("sqs:*")], [{"Effect": "Allow", "NotAction": "sqs:SendMessage",
                                                      "Resource": "*"}], "send", I),
    ("session policy NotAction other", [allow("sqs:*")], [{"Effect": "Allow", "NotAction": "sqs:SendMessage",
                                                            "Resource": "*"}], "receive", A),
]


@pytest.mark.parametrize("name,role_statements,session_statements,call,expect", SESSION,
                         ids=[s[0] for s in SESSION])
def test_session_policies(client, name, role_statements, session_statements, call, expect):
    iam = client("iam")
    iam.create_role(RoleName="worker", AssumeRolePolicyDocument=_doc([
        {"Effect": "Allow", "Principal": {"AWS": OWNER}, "Action": "sts:AssumeRole"}]))
    iam.put_role_policy(RoleName="worker", PolicyName="p", PolicyDocument=_doc(role_statements))
    creds = client("sts").assume_role(RoleArn=f"arn:aws:iam::{OWNER}:role/worker", RoleSessionName="session",
                                      Policy=_doc(session_statements))["Credentials"]
    url = client("sqs").create_queue(QueueName="tbl-queue")["QueueUrl"]
    session = client("sqs", key=creds["AccessKeyId"], secret=creds["SecretAccessKey"], token=creds["SessionToken"])
    op = (lambda: session.send_message(QueueUrl=url, MessageBody="x")) if call == "send" else \
        (lambda: session.receive_message(QueueUrl=url))
    if expect == A:
        op()
    else:
        e = error_of(op)
        assert e["Code"] == "AccessDenied"
        assert e["Message"].endswith("with an explicit deny in an identity-based policy") == (expect == D)
    # The same decision from the simulator, the session policy standing as the bound it is.
    action = "sqs:SendMessage" if call == "send" else "sqs:ReceiveMessage"
    result = iam.simulate_custom_policy(PolicyInputList=[_doc(role_statements)],
                                        PermissionsBoundaryPolicyInputList=[_doc(session_statements)],
                                        ActionNames=[action], ResourceArns=[QUEUE])["EvaluationResults"][0]
    assert result["EvalDecision"] == expect
