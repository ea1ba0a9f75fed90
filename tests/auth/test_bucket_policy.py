"""S3 bucket policies and the public access block, as enforced with IAM on."""
from __future__ import annotations

import json
from urllib.parse import urlsplit

from nubis.testing.loopback import loopback

from .conftest import OTHER, anonymous, error_of, set_policy


def _arn(bucket: str, key: str | None = None) -> str:
    return f"arn:aws:s3:::{bucket}" + (f"/{key}" if key is not None else "")


def test_without_a_policy_only_the_owner_gets_in(client, s3, bucket):
    assert s3.get_object(Bucket=bucket, Key="docs/readme.txt")["Body"].read() == b"hello"
    other = client("s3", key=OTHER)
    for call, kwargs in ((other.get_object, {"Key": "docs/readme.txt"}), (other.list_objects_v2, {}),
                         (other.put_object, {"Key": "x", "Body": b"x"}), (other.get_bucket_policy, {})):
        err = error_of(call, Bucket=bucket, **kwargs)
        assert (err["Code"], err["Message"], err["Status"]) == ("AccessDenied", "Access Denied", 403)
    assert error_of(other.head_object, Bucket=bucket, Key="docs/readme.txt")["Code"] == "403"


def test_an_explicit_deny_stops_the_owner_except_for_the_policy_itself(s3, bucket):
    set_policy(s3, bucket, {"Effect": "Deny", "Principal": "*", "Action": ["s3:GetObject", "s3:*Policy"],
                            "Resource": [_arn(bucket, "private/*"), _arn(bucket)]})
    assert error_of(s3.get_object, Bucket=bucket, Key="private/secret.txt")["Code"] == "AccessDenied"
    assert s3.get_object(Bucket=bucket, Key="docs/readme.txt")["Body"].read() == b"hello"
    # HeadObject is s3:GetObject, GetObject of a version s3:GetObjectVersion.
    assert error_of(s3.head_object, Bucket=bucket, Key="private/secret.txt")["Code"] == "403"
    assert s3.get_bucket_policy(Bucket=bucket)["Policy"]  # the owner's root can't be locked out
    s3.delete_bucket_policy(Bucket=bucket)
    assert s3.get_object(Bucket=bucket, Key="private/secret.txt")["Body"].read() == b"secret"


def test_another_account_is_let_in_by_account_id_or_root_arn(client, s3, bucket):
    other = client("s3", key=OTHER)
    third = client("s3", key="444455556666")
    set_policy(s3, bucket, {"Effect": "Allow", "Principal": {"AWS": OTHER}, "Action": "s3:GetObject",
                            "Resource": _arn(bucket, "*")})
    assert other.get_object(Bucket=bucket, Key="docs/readme.txt")["Body"].read() == b"hello"
    assert error_of(other.put_object, Bucket=bucket, Key="new", Body=b"x")["Code"] == "AccessDenied"
    assert error_of(third.get_object, Bucket=bucket, Key="docs/readme.txt")["Code"] == "AccessDenied"
    set_policy(s3, bucket, {"Effect": "Allow", "Principal": {"AWS": [f"arn:aws:iam::{OTHER}:root"]},
                            "Action": ["s3:PutObject", "s3:ListBucket"], "Resource": [_arn(bucket), _arn(bucket, "*")]})
    other.put_object(Bucket=bucket, Key="from-other", Body=b"theirs")
    assert "from-other" in [o["Key"] for o in other.list_objects_v2(Bucket=bucket)["Contents"]]
    assert error_of(other.get_object, Bucket=bucket, Key="from-other")["Code"] == "AccessDenied"
    assert s3.get_object(Bucket=bucket, Key="from-other")["Body"].read() == b"theirs"


def test_copy_needs_read_on_the_source_and_write_on_the_target(client, s3, bucket):
    other = client("s3", key=OTHER)
    other.create_bucket(Bucket="their-bucket")
    assert error_of(other.copy_object, Bucket="their-bucket", Key="copy",
                    CopySource={"Bucket": bucket, "Key": "docs/readme.txt"})["Code"] == "AccessDenied"
    set_policy(s3, bucket, {"Effect": "Allow", "Principal": {"AWS": OTHER}, "Action": "s3:GetObject",
                            "Resource": _arn(bucket, "docs/*")})
    other.copy_object(Bucket="their-bucket", Key="copy", CopySource={"Bucket": bucket, "Key": "docs/readme.txt"})
    assert other.get_object(Bucket="their-bucket", Key="copy")["Body"].read() == b"hello"
    assert error_of(other.copy_object, Bucket="their-bucket", Key="copy2",
                    CopySource={"Bucket": bucket, "Key": "private/secret.txt"})["Code"] == "AccessDenied"


def test_delete_objects_needs_delete_on_every_key(client, s3, bucket):
    other = client("s3", key=OTHER)
    set_policy(s3, bucket, {"Effect": "Allow", "Principal": {"AWS": OTHER}, "Action": "s3:DeleteObject",
                            "Resource": _arn(bucket, "docs/*")})
    objects = [{"Key": "docs/readme.txt"}, {"Key": "private/secret.txt"}]
    assert error_of(other.delete_objects, Bucket=bucket, Delete={"Objects": objects})["Code"] == "AccessDenied"
    other.delete_objects(Bucket=bucket, Delete={"Objects": objects[:1]})
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]] == ["private/secret.txt"]


def test_public_read_lets_anonymous_callers_read_and_nothing_else(cloud, s3, bucket):
    s3.delete_public_access_block(Bucket=bucket)  # new buckets block public policies, as on AWS
    assert anonymous(cloud, "GET", f"/{bucket}/docs/readme.txt").status_code == 403
    set_policy(s3, bucket, {"Sid": "PublicRead", "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                            "Resource": _arn(bucket, "docs/*")})
    r = anonymous(cloud, "GET", f"/{bucket}/docs/readme.txt")
    assert r.status_code == 200 and r.content == b"hello"
    r = anonymous(cloud, "GET", f"/{bucket}/private/secret.txt")
    assert r.status_code == 403 and "<Code>AccessDenied</Code>" in r.text
    assert anonymous(cloud, "PUT", f"/{bucket}/docs/new", content=b"x").status_code == 403
    assert anonymous(cloud, "GET", f"/{bucket}?list-type=2").status_code == 403
    assert anonymous(cloud, "GET", "/").status_code == 403  # ListBuckets
    assert anonymous(cloud, "PUT", "/anon-bucket").status_code == 403  # CreateBucket
    # A missing bucket is still NoSuchBucket.
    assert anonymous(cloud, "GET", "/no-such-bucket-here/x").status_code == 404


def test_anonymous_writes_belong_to_the_bucket_owner(cloud, s3, bucket):
    s3.delete_public_access_block(Bucket=bucket)
    set_policy(s3, bucket, {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "s3:PutObject",
                            "Resource": _arn(bucket, "drop/*")})
    assert anonymous(cloud, "PUT", f"/{bucket}/drop/file", content=b"dropped").status_code == 200
    assert s3.get_object(Bucket=bucket, Key="drop/file")["Body"].read() == b"dropped"


def test_public_access_block(cloud, s3, bucket):
    public = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": _arn(bucket, "*")}
    err = error_of(set_policy, s3, bucket, public)  # a new bucket blocks public policies
    assert err["Code"] == "AccessDenied" and "BlockPublicPolicy" in err["Message"]
    s3.delete_public_access_block(Bucket=bucket)
    set_policy(s3, bucket, public)
    assert anonymous(cloud, "GET", f"/{bucket}/docs/readme.txt").status_code == 200
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"RestrictPublicBuckets": True})
    assert anonymous(cloud, "GET", f"/{bucket}/docs/readme.txt").status_code == 403
    assert s3.get_object(Bucket=bucket, Key="docs/readme.txt")["Body"].read() == b"hello"
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"BlockPublicPolicy": True})
    assert anonymous(cloud, "GET", f"/{bucket}/docs/readme.txt").status_code == 200
    s3.delete_bucket_policy(Bucket=bucket)
    err = error_of(set_policy, s3, bucket, public)
    assert err["Code"] == "AccessDenied" and "BlockPublicPolicy" in err["Message"]


def test_restrict_public_buckets_also_stops_other_accounts_under_a_public_policy(client, s3, bucket):
    s3.delete_public_access_block(Bucket=bucket)
    set_policy(s3, bucket, {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                            "Resource": _arn(bucket, "*")})
    other = client("s3", key=OTHER)
    assert other.get_object(Bucket=bucket, Key="docs/readme.txt")["Body"].read() == b"hello"
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"RestrictPublicBuckets": True})
    assert error_of(other.get_object, Bucket=bucket, Key="docs/readme.txt")["Code"] == "AccessDenied"


def test_conditions_on_source_ip_and_prefix(cloud, client, s3, bucket):
    s3.delete_public_access_block(Bucket=bucket)
    set_policy(s3, bucket,
               {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": _arn(bucket, "*"),
                "Condition": {"IpAddress": {"aws:SourceIp": "10.0.0.0/8"}}})
    assert anonymous(cloud, "GET", f"/{bucket}/docs/readme.txt").status_code == 403
    set_policy(s3, bucket,
               {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": _arn(bucket, "*"),
                "Condition": {"IpAddress": {"aws:SourceIp": ["10.0.0.0/8", "127.0.0.0/8"]}}},
               {"Effect": "Allow", "Principal": {"AWS": OTHER}, "Action": "s3:ListBucket", "Resource": _arn(bucket),
                "Condition": {"StringLike": {"s3:prefix": ["docs/*", "docs"]}}})
    assert anonymous(cloud, "GET", f"/{bucket}/docs/readme.txt").status_code == 200
    other = client("s3", key=OTHER)
    listed = other.list_objects_v2(Bucket=bucket, Prefix="docs/")
    assert [o["Key"] for o in listed["Contents"]] == ["docs/readme.txt"]
    assert error_of(other.list_objects_v2, Bucket=bucket, Prefix="private/")["Code"] == "AccessDenied"
    assert error_of(other.list_objects_v2, Bucket=bucket)["Code"] == "AccessDenied"


def test_a_deny_unless_condition_applies_to_the_owner_too(s3, bucket):
    set_policy(s3, bucket, {"Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
                            "Resource": _arn(bucket, "*"),
                            "Condition": {"StringNotEquals": {"s3:x-amz-acl": "bucket-owner-full-control"}}})
    assert error_of(s3.put_object, Bucket=bucket, Key="no-acl", Body=b"x")["Code"] == "AccessDenied"
    s3.put_object(Bucket=bucket, Key="with-acl", Body=b"x", ACL="bucket-owner-full-control")


def test_enforcement_off_lets_any_key_in(nubis, aws_client):
    """The default server (enforcement off) takes any secret."""
    bad = aws_client("s3", aws_secret_access_key="whatever", aws_access_key_id="AKIAANYTHING")
    bad.create_bucket(Bucket="lax-bucket")
    assert [b["Name"] for b in bad.list_buckets()["Buckets"]] == ["lax-bucket"]


def test_access_point_policies_are_a_second_gate(cloud, client, s3, bucket):
    # botocore sends S3 Control to ``<account>.localhost``
    control = loopback(client("s3control"), urlsplit(cloud.endpoint).port)
    alias = control.create_access_point(AccountId="000000000000", Name="readers", Bucket=bucket)["Alias"]
    assert s3.get_object(Bucket=alias, Key="private/secret.txt")["Body"].read() == b"secret"
    arn = "arn:aws:s3:us-east-1:000000000000:accesspoint/readers"
    control.put_access_point_policy(AccountId="000000000000", Name="readers", Policy=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
                                                "Resource": f"{arn}/object/private/*"}]}))
    assert error_of(s3.get_object, Bucket=alias, Key="private/secret.txt")["Code"] == "AccessDenied"
    assert s3.get_object(Bucket=alias, Key="docs/readme.txt")["Body"].read() == b"hello"
    assert s3.get_object(Bucket=bucket, Key="private/secret.txt")["Body"].read() == b"secret"
    # The bucket policy sees the access point in s3:DataAccessPointArn.
    set_policy(s3, bucket, {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
                            "Resource": _arn(bucket, "*"),
                            "Condition": {"StringEquals": {"s3:DataAccessPointArn": arn}}})
    assert error_of(s3.get_object, Bucket=alias, Key="docs/readme.txt")["Code"] == "AccessDenied"
    assert s3.get_object(Bucket=bucket, Key="docs/readme.txt")["Body"].read() == b"hello"


def test_existing_object_tags_in_conditions(s3, bucket):
    s3.put_object(Bucket=bucket, Key="docs/classified", Body=b"x", Tagging="classification=secret")
    set_policy(s3, bucket, {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
                            "Resource": _arn(bucket, "*"),
                            "Condition": {"StringEquals": {"s3:ExistingObjectTag/classification": "secret"}}})
    assert error_of(s3.get_object, Bucket=bucket, Key="docs/classified")["Code"] == "AccessDenied"
    assert s3.get_object(Bucket=bucket, Key="docs/readme.txt")["Body"].read() == b"hello"
    s3.put_object_tagging(Bucket=bucket, Key="docs/classified",
                          Tagging={"TagSet": [{"Key": "classification", "Value": "public"}]})
    assert s3.get_object(Bucket=bucket, Key="docs/classified")["Body"].read() == b"x"


def test_acls_grant_access_where_object_ownership_allows_them(cloud, client, s3):
    s3.create_bucket(Bucket="acl-bucket", ObjectOwnership="ObjectWriter")
    s3.delete_public_access_block(Bucket="acl-bucket")
    s3.put_object(Bucket="acl-bucket", Key="public", Body=b"for all", ACL="public-read")
    s3.put_object(Bucket="acl-bucket", Key="private", Body=b"mine")
    r = anonymous(cloud, "GET", "/acl-bucket/public")
    assert r.status_code == 200 and r.content == b"for all"
    assert anonymous(cloud, "GET", "/acl-bucket/private").status_code == 403
    assert anonymous(cloud, "GET", "/acl-bucket?list-type=2").status_code == 403
    s3.put_bucket_acl(Bucket="acl-bucket", ACL="authenticated-read")
    other = client("s3", key=OTHER)
    assert [o["Key"] for o in other.list_objects_v2(Bucket="acl-bucket")["Contents"]] == ["private", "public"]
    assert anonymous(cloud, "GET", "/acl-bucket?list-type=2").status_code == 403
    # An explicit deny still wins; IgnorePublicAcls takes the public grants away.
    set_policy(s3, "acl-bucket", {"Effect": "Deny", "Principal": "*", "Action": "s3:GetObject",
                                  "Resource": _arn("acl-bucket", "public")})
    assert anonymous(cloud, "GET", "/acl-bucket/public").status_code == 403
    s3.delete_bucket_policy(Bucket="acl-bucket")
    assert anonymous(cloud, "GET", "/acl-bucket/public").status_code == 200
    s3.put_public_access_block(Bucket="acl-bucket", PublicAccessBlockConfiguration={"IgnorePublicAcls": True})
    assert anonymous(cloud, "GET", "/acl-bucket/public").status_code == 403
    assert error_of(other.list_objects_v2, Bucket="acl-bucket")["Code"] == "AccessDenied"
