"""Keys that services give the enforcer (credential_for): session tokens, expiry,
principals other than roots, and their identity policies."""
from __future__ import annotations

from .conftest import error_of
from .session_keys import ROLE_ARN, SESSION_KEY, SESSION_SECRET, SESSION_TOKEN, USER_ID


def test_a_session_key_needs_its_token(client):
    sts = client("sts", key=SESSION_KEY, secret=SESSION_SECRET, token=SESSION_TOKEN)
    assert sts.get_caller_identity()["Arn"] == ROLE_ARN
    for token in (None, "not-the-token"):
        err = error_of(client("sts", key=SESSION_KEY, secret=SESSION_SECRET, token=token).get_caller_identity)
        assert err["Code"] == "InvalidClientTokenId" and err["Status"] == 403
        err = error_of(client("s3", key=SESSION_KEY, secret=SESSION_SECRET, token=token).list_buckets)
        assert err["Code"] == "InvalidToken" and err["Status"] == 400
    # A token sent with a key that has none is refused too.
    err = error_of(client("s3", token="stray-token").list_buckets)
    assert err["Code"] == "InvalidToken"
    assert error_of(client("s3", key=SESSION_KEY, secret="wrong", token=SESSION_TOKEN).list_buckets)["Code"] == \
        "SignatureDoesNotMatch"


def test_a_session_expires_on_the_clock(cloud, client):
    sts = client("sts", key=SESSION_KEY, secret=SESSION_SECRET, token=SESSION_TOKEN)
    sts.get_caller_identity()  # STS starts: the session has an hour
    cloud.advance(3601)
    err = error_of(sts.get_caller_identity)
    assert err["Code"] == "ExpiredToken" and err["Status"] == 403
    err = error_of(client("s3", key=SESSION_KEY, secret=SESSION_SECRET, token=SESSION_TOKEN).list_buckets)
    assert err["Code"] == "ExpiredToken" and err["Status"] == 400


def test_identity_policies_limit_a_principal_of_the_owner_account(client, s3, bucket):
    role = client("s3", key=SESSION_KEY, secret=SESSION_SECRET, token=SESSION_TOKEN)
    assert role.get_object(Bucket=bucket, Key="docs/readme.txt")["Body"].read() == b"hello"
    assert error_of(role.get_object, Bucket=bucket, Key="private/secret.txt")["Code"] == "AccessDenied"
    assert error_of(role.put_object, Bucket=bucket, Key="docs/new", Body=b"x")["Code"] == "AccessDenied"
    # ${aws:userid} in the policy: the session's own folder.
    role.put_object(Bucket=bucket, Key=f"home/{USER_ID}/notes", Body=b"mine")
    assert role.get_object(Bucket=bucket, Key=f"home/{USER_ID}/notes")["Body"].read() == b"mine"
    assert error_of(role.put_object, Bucket=bucket, Key="home/someone-else/notes", Body=b"x")["Code"] == \
        "AccessDenied"
    # Within the account, a bucket policy naming the role is enough on its own.
    import json
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ROLE_ARN}, "Action": "s3:GetObject",
         "Resource": f"arn:aws:s3:::{bucket}/private/*"}]}))
    assert role.get_object(Bucket=bucket, Key="private/secret.txt")["Body"].read() == b"secret"


def test_identity_policies_govern_bucket_listing_and_creation(client, s3, bucket):
    role = client("s3", key=SESSION_KEY, secret=SESSION_SECRET, token=SESSION_TOKEN)
    assert error_of(role.list_buckets)["Code"] == "AccessDenied"
    assert error_of(role.create_bucket, Bucket="role-bucket")["Code"] == "AccessDenied"
    assert error_of(role.list_objects_v2, Bucket=bucket)["Code"] == "AccessDenied"


def test_a_bucket_policy_naming_the_role_and_its_principal_arn(client, s3, bucket):
    import json
    role = client("s3", key=SESSION_KEY, secret=SESSION_SECRET, token=SESSION_TOKEN)
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::000000000000:role/reader"}, "Action": "s3:ListBucket",
         "Resource": f"arn:aws:s3:::{bucket}"},
        {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject", "Resource": f"arn:aws:s3:::{bucket}/docs/*",
         "Condition": {"ArnEquals": {"aws:PrincipalArn": "arn:aws:iam::000000000000:role/reader"}}}]}))
    assert role.list_objects_v2(Bucket=bucket)["KeyCount"] == 2
    assert error_of(role.get_object, Bucket=bucket, Key="docs/readme.txt")["Code"] == "AccessDenied"
    assert s3.get_object(Bucket=bucket, Key="docs/readme.txt")["Body"].read() == b"hello"
