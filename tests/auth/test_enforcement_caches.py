"""What enforcement keeps between requests (parsed signatures' pieces, root
credentials, principals' policies, queues' policies) never outlives the thing
it was derived from: a change is seen by the very next request."""
from __future__ import annotations

import json

import boto3
import httpx
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials

from nubis.testing import start
from nubis.testing.policies import allow, deny, doc

from .conftest import NO_RETRY, OWNER, error_of

QUEUE_ARN = f"arn:aws:sqs:us-east-1:{OWNER}:jobs"


def _queue(client) -> tuple[object, str]:
    sqs = client("sqs")
    return sqs, sqs.create_queue(QueueName="jobs")["QueueUrl"]


def _user(client, name: str) -> tuple[object, str, tuple[str, str]]:
    iam = client("iam")
    iam.create_user(UserName=name)
    key = iam.create_access_key(UserName=name)["AccessKey"]
    return iam, f"arn:aws:iam::{OWNER}:user/{name}", (key["AccessKeyId"], key["SecretAccessKey"])


def _denied(err: dict, who: str, why: str) -> None:
    assert err["Code"] == "AccessDenied" and err["Status"] == 403
    assert err["Message"] == f"User: {who} is not authorized to perform: sqs:SendMessage on resource: {QUEUE_ARN} {why}"


def test_a_queue_policy_set_or_removed_is_seen_by_the_next_send(client, cloud):
    sqs, url = _queue(client)
    sqs.send_message(QueueUrl=url, MessageBody="before")
    policy = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Deny", "Principal": "*", "Action": "sqs:SendMessage", "Resource": QUEUE_ARN}]}
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    _denied(error_of(lambda: sqs.send_message(QueueUrl=url, MessageBody="denied")),
            f"arn:aws:iam::{OWNER}:root", "with an explicit deny in a resource-based policy")
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})
    sqs.send_message(QueueUrl=url, MessageBody="after")
    # A queue deleted and made again starts without the old queue's policy.
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(policy)})
    sqs.delete_queue(QueueUrl=url)
    cloud.advance(61)  # a deleted queue's name is free again after 60 seconds
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody="new queue")


def test_a_queue_policy_can_let_an_iam_user_in_and_stop_letting_it(client):
    sqs, url = _queue(client)
    _, arn, key = _user(client, "sender")
    as_user = client("sqs", key=key[0], secret=key[1])
    _denied(error_of(lambda: as_user.send_message(QueueUrl=url, MessageBody="x")), arn,
            "because no identity-based policy allows the sqs:SendMessage action")
    grant = {"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": arn}, "Action": "sqs:SendMessage", "Resource": QUEUE_ARN}]}
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps(grant)})
    as_user.send_message(QueueUrl=url, MessageBody="x")
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": ""})
    assert error_of(lambda: as_user.send_message(QueueUrl=url, MessageBody="x"))["Code"] == "AccessDenied"


def test_identity_policy_changes_are_seen_by_the_next_request(client):
    sqs, url = _queue(client)
    iam, arn, key = _user(client, "worker")
    as_user = client("sqs", key=key[0], secret=key[1])
    managed = iam.create_policy(PolicyName="send", PolicyDocument=doc(allow("sqs:SendMessage", QUEUE_ARN)))
    policy_arn = managed["Policy"]["Arn"]

    iam.attach_user_policy(UserName="worker", PolicyArn=policy_arn)
    as_user.send_message(QueueUrl=url, MessageBody="attached")
    iam.detach_user_policy(UserName="worker", PolicyArn=policy_arn)
    _denied(error_of(lambda: as_user.send_message(QueueUrl=url, MessageBody="x")), arn,
            "because no identity-based policy allows the sqs:SendMessage action")

    # A new default version of the managed policy.
    iam.attach_user_policy(UserName="worker", PolicyArn=policy_arn)
    as_user.send_message(QueueUrl=url, MessageBody="again")
    iam.create_policy_version(PolicyArn=policy_arn, PolicyDocument=doc(allow("sqs:ReceiveMessage", QUEUE_ARN)),
                              SetAsDefault=True)
    assert error_of(lambda: as_user.send_message(QueueUrl=url, MessageBody="x"))["Code"] == "AccessDenied"
    iam.detach_user_policy(UserName="worker", PolicyArn=policy_arn)

    # Inline policies: put, overwritten with a deny, deleted.
    iam.put_user_policy(UserName="worker", PolicyName="inline", PolicyDocument=doc(allow("sqs:*", "*")))
    as_user.send_message(QueueUrl=url, MessageBody="inline")
    iam.put_user_policy(UserName="worker", PolicyName="no", PolicyDocument=doc(deny("sqs:SendMessage", "*")))
    _denied(error_of(lambda: as_user.send_message(QueueUrl=url, MessageBody="x")), arn,
            "with an explicit deny in an identity-based policy")
    iam.delete_user_policy(UserName="worker", PolicyName="no")
    as_user.send_message(QueueUrl=url, MessageBody="deny gone")
    iam.delete_user_policy(UserName="worker", PolicyName="inline")
    assert error_of(lambda: as_user.send_message(QueueUrl=url, MessageBody="x"))["Code"] == "AccessDenied"


def test_group_membership_and_boundaries_are_seen_by_the_next_request(client):
    sqs, url = _queue(client)
    iam, _, key = _user(client, "member")
    as_user = client("sqs", key=key[0], secret=key[1])
    iam.create_group(GroupName="senders")
    iam.put_group_policy(GroupName="senders", PolicyName="send", PolicyDocument=doc(allow("sqs:SendMessage", "*")))
    iam.add_user_to_group(GroupName="senders", UserName="member")
    as_user.send_message(QueueUrl=url, MessageBody="member")
    iam.remove_user_from_group(GroupName="senders", UserName="member")
    assert error_of(lambda: as_user.send_message(QueueUrl=url, MessageBody="x"))["Code"] == "AccessDenied"
    iam.add_user_to_group(GroupName="senders", UserName="member")
    as_user.send_message(QueueUrl=url, MessageBody="member again")
    # The group's own policy changing.
    iam.put_group_policy(GroupName="senders", PolicyName="send",
                         PolicyDocument=doc(allow("sqs:ReceiveMessage", "*")))
    assert error_of(lambda: as_user.send_message(QueueUrl=url, MessageBody="x"))["Code"] == "AccessDenied"
    iam.put_group_policy(GroupName="senders", PolicyName="send", PolicyDocument=doc(allow("sqs:SendMessage", "*")))
    as_user.send_message(QueueUrl=url, MessageBody="allowed again")
    # A permissions boundary that leaves SendMessage out.
    boundary = iam.create_policy(PolicyName="bound", PolicyDocument=doc(allow("sqs:ReceiveMessage", "*")))
    iam.put_user_permissions_boundary(UserName="member", PermissionsBoundary=boundary["Policy"]["Arn"])
    assert error_of(lambda: as_user.send_message(QueueUrl=url, MessageBody="x"))["Code"] == "AccessDenied"
    iam.delete_user_permissions_boundary(UserName="member")
    as_user.send_message(QueueUrl=url, MessageBody="unbounded")


def test_a_deactivated_or_deleted_access_key_is_refused_at_once(client):
    sqs, url = _queue(client)
    iam, _, key = _user(client, "keyed")
    iam.put_user_policy(UserName="keyed", PolicyName="p", PolicyDocument=doc(allow("sqs:*", "*")))
    as_user = client("sqs", key=key[0], secret=key[1])
    as_user.send_message(QueueUrl=url, MessageBody="active")
    iam.update_access_key(UserName="keyed", AccessKeyId=key[0], Status="Inactive")
    err = error_of(lambda: as_user.send_message(QueueUrl=url, MessageBody="x"))
    assert err["Code"] == "InvalidClientTokenId" and err["Status"] == 403
    iam.update_access_key(UserName="keyed", AccessKeyId=key[0], Status="Active")
    as_user.send_message(QueueUrl=url, MessageBody="active again")
    iam.delete_access_key(UserName="keyed", AccessKeyId=key[0])
    assert error_of(lambda: as_user.send_message(QueueUrl=url, MessageBody="x"))["Code"] == "InvalidClientTokenId"
    # A user deleted (with its keys) and made again under the same name has none of the old keys.
    iam.delete_user_policy(UserName="keyed", PolicyName="p")
    iam.delete_user(UserName="keyed")
    iam.create_user(UserName="keyed")
    assert error_of(lambda: as_user.send_message(QueueUrl=url, MessageBody="x"))["Code"] == "InvalidClientTokenId"


def test_the_access_key_last_used_date_follows_every_call(client, cloud):
    sqs, url = _queue(client)
    iam, _, key = _user(client, "tracked")
    iam.put_user_policy(UserName="tracked", PolicyName="p", PolicyDocument=doc(allow("sqs:*", "*")))
    as_user = client("sqs", key=key[0], secret=key[1])
    as_user.send_message(QueueUrl=url, MessageBody="one")
    first = iam.get_access_key_last_used(AccessKeyId=key[0])["AccessKeyLastUsed"]["LastUsedDate"]
    cloud.advance(120)
    client("sqs", key=key[0], secret=key[1]).list_queues()  # signed with the wall clock: 2 minutes is in range
    second = iam.get_access_key_last_used(AccessKeyId=key[0])["AccessKeyLastUsed"]["LastUsedDate"]
    assert (second - first).total_seconds() >= 119


def _send_raw(cloud, url: str, headers: dict, edit=None, secret: str = "test") -> httpx.Response:
    """A SendMessage signed by botocore; ``edit(headers)`` changes the headers after signing."""
    body = json.dumps({"QueueUrl": url, "MessageBody": "raw"}).encode()
    req = AWSRequest(method="POST", url=cloud.endpoint + "/", data=body,
                     headers={"X-Amz-Target": "AmazonSQS.SendMessage",
                              "Content-Type": "application/x-amz-json-1.0", **headers})
    SigV4Auth(Credentials("test", secret), "sqs", "us-east-1").add_auth(req)
    sent = dict(req.prepare().headers)
    if edit is not None:
        edit(sent)
    return httpx.post(cloud.endpoint + "/", content=body, headers=sent)


def _authorization(change):
    def edit(headers: dict) -> None:
        headers["Authorization"] = change(headers["Authorization"])
    return edit


def test_signed_header_values_are_folded_as_sigv4_says(cloud, client):
    _, url = _queue(client)
    # Runs of spaces and tabs inside a signed value are one space.
    assert _send_raw(cloud, url, {"X-Custom": "a   b\tc"}).status_code == 200
    assert _send_raw(cloud, url, {"X-Custom": "a b"}).status_code == 200
    # A value changed after signing no longer matches; the canonical request shows it folded.
    r = _send_raw(cloud, url, {"X-Custom": "a b"}, edit=lambda h: h.update({"X-Custom": "a \t c"}))
    assert r.status_code == 403 and r.headers["x-amzn-query-error"] == "SignatureDoesNotMatch;Sender"
    assert "x-custom:a c\n" in r.json()["message"]


def test_authorization_headers_written_otherwise_verify_the_same(cloud, client):
    _, url = _queue(client)
    # No space after the commas; extra spaces and another field order: the same signature.
    assert _send_raw(cloud, url, {}, _authorization(lambda a: a.replace(", ", ","))).status_code == 200

    def reorder(a: str) -> str:
        algorithm, rest = a.split(" ", 1)
        fields = [f.strip() for f in rest.split(",")]
        return f"{algorithm}   " + " ,  ".join(reversed(fields))
    assert _send_raw(cloud, url, {}, _authorization(reorder)).status_code == 200
    # An upper-case SignedHeaders list names the same headers.
    upper = _authorization(lambda a: a.replace("SignedHeaders=content-type", "SignedHeaders=Content-Type"))
    assert _send_raw(cloud, url, {}, upper).status_code == 200
    r = _send_raw(cloud, url, {}, secret="wrong")
    assert r.status_code == 403 and r.headers["x-amzn-query-error"] == "SignatureDoesNotMatch;Sender"


def test_a_signing_time_that_is_no_time_is_refused(cloud, client):
    _, url = _queue(client)
    for stamp in (b"20240101T246000Z", b"20241301T000000Z", b"20240230T000000Z", b"20240101T2359\xb2Z"):
        r = _send_raw(cloud, url, {}, edit=lambda h: h.update({"X-Amz-Date": stamp}))
        text = stamp.decode("latin-1")
        assert r.status_code == 403 and r.headers["x-amzn-query-error"] == "IncompleteSignature;Sender", text
        assert r.json()["message"] == (f"Date must be in ISO-8601 'basic format'. Got '{text}'. "
                                       "See http://en.wikipedia.org/wiki/ISO_8601")


def test_a_principal_tag_changed_is_seen_by_the_next_request(client):
    sqs, url = _queue(client)
    iam, _, key = _user(client, "tagged")
    statement = allow("sqs:SendMessage", QUEUE_ARN)
    statement["Condition"] = {"StringEquals": {"aws:PrincipalTag/team": "blue"}}
    iam.put_user_policy(UserName="tagged", PolicyName="p", PolicyDocument=doc(statement))
    as_user = client("sqs", key=key[0], secret=key[1])
    assert error_of(lambda: as_user.send_message(QueueUrl=url, MessageBody="x"))["Code"] == "AccessDenied"
    iam.tag_user(UserName="tagged", Tags=[{"Key": "team", "Value": "blue"}])
    as_user.send_message(QueueUrl=url, MessageBody="blue")
    iam.tag_user(UserName="tagged", Tags=[{"Key": "team", "Value": "red"}])
    assert error_of(lambda: as_user.send_message(QueueUrl=url, MessageBody="x"))["Code"] == "AccessDenied"


def test_a_role_sessions_policies_follow_the_role():
    # The module's server has a test-only STS (session_keys.py); real AssumeRole sessions
    # need the real provider: a server of their own.
    other = start(enforce_iam=True)

    def make(service: str, key: str = "test", secret: str = "test", token: str | None = None):
        return boto3.client(service, endpoint_url=other.endpoint, region_name="us-east-1", aws_access_key_id=key,
                            aws_secret_access_key=secret, aws_session_token=token, config=NO_RETRY)
    try:
        url = make("sqs").create_queue(QueueName="jobs")["QueueUrl"]
        iam = make("iam")
        trust = doc({"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OWNER}:root"},
                     "Action": "sts:AssumeRole"})
        role = iam.create_role(RoleName="sender", AssumeRolePolicyDocument=trust)["Role"]["Arn"]
        iam.put_role_policy(RoleName="sender", PolicyName="send", PolicyDocument=doc(allow("sqs:SendMessage", "*")))
        creds = make("sts").assume_role(RoleArn=role, RoleSessionName="s1")["Credentials"]
        as_role = make("sqs", creds["AccessKeyId"], creds["SecretAccessKey"], creds["SessionToken"])
        as_role.send_message(QueueUrl=url, MessageBody="allowed")
        iam.put_role_policy(RoleName="sender", PolicyName="send", PolicyDocument=doc(deny("sqs:SendMessage", "*")))
        err = error_of(lambda: as_role.send_message(QueueUrl=url, MessageBody="x"))
        assert err["Code"] == "AccessDenied"
        assert err["Message"].endswith("with an explicit deny in an identity-based policy")
        iam.delete_role_policy(RoleName="sender", PolicyName="send")
        assert error_of(lambda: as_role.send_message(QueueUrl=url, MessageBody="x"))["Code"] == "AccessDenied"
        iam.put_role_policy(RoleName="sender", PolicyName="send", PolicyDocument=doc(allow("sqs:SendMessage", "*")))
        as_role.send_message(QueueUrl=url, MessageBody="allowed again")
        # The role deleted: its sessions are allowed nothing.
        iam.delete_role_policy(RoleName="sender", PolicyName="send")
        iam.delete_role(RoleName="sender")
        assert error_of(lambda: as_role.send_message(QueueUrl=url, MessageBody="x"))["Code"] == "AccessDenied"
    finally:
        other.stop()
