"""Bucket configurations S3 stores and returns: round trips in the model's
shape, S3's defaults, the absent-configuration errors, deletes and validation."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from botocore.exceptions import ClientError

BUCKET = "cfg-bucket"


@pytest.fixture
def bucket(s3):  # ``s3`` is tests/s3/conftest.py's client
    s3.create_bucket(Bucket=BUCKET)
    return BUCKET


def error_of(call, *args, **kwargs) -> tuple[str, int, dict]:
    with pytest.raises(ClientError) as info:
        call(*args, **kwargs)
    e = info.value.response
    return e["Error"]["Code"], e["ResponseMetadata"]["HTTPStatusCode"], e["Error"]


def clean(resp: dict) -> dict:
    resp = dict(resp)
    resp.pop("ResponseMetadata", None)
    return resp


def open_bucket(s3, name=BUCKET):
    """Let the bucket take ACLs and public policies (S3's defaults forbid both)."""
    s3.put_bucket_ownership_controls(Bucket=name, OwnershipControls={"Rules": [{"ObjectOwnership": "ObjectWriter"}]})
    s3.delete_public_access_block(Bucket=name)


# -- tagging ----------------------------------------------------------------------------------

def test_tagging_round_trip_and_delete(s3, bucket):
    assert error_of(s3.get_bucket_tagging, Bucket=bucket)[:2] == ("NoSuchTagSet", 404)
    tags = [{"Key": "env", "Value": "dev"}, {"Key": "team", "Value": ""}, {"Key": "a b:c", "Value": "x/y=z+@"}]
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": tags})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == tags
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "only", "Value": "one"}]})
    assert s3.get_bucket_tagging(Bucket=bucket)["TagSet"] == [{"Key": "only", "Value": "one"}]
    s3.delete_bucket_tagging(Bucket=bucket)
    assert error_of(s3.get_bucket_tagging, Bucket=bucket)[:2] == ("NoSuchTagSet", 404)


def test_tagging_validation(s3, bucket):
    dup = [{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}]
    code, status, err = error_of(s3.put_bucket_tagging, Bucket=bucket, Tagging={"TagSet": dup})
    assert (code, status) == ("InvalidTag", 400)
    assert err["Message"] == "Cannot provide multiple Tags with the same key"
    assert error_of(s3.put_bucket_tagging, Bucket=bucket,
                    Tagging={"TagSet": [{"Key": "aws:x", "Value": "1"}]})[0] == "InvalidTag"
    assert error_of(s3.put_bucket_tagging, Bucket=bucket,
                    Tagging={"TagSet": [{"Key": "k" * 129, "Value": "1"}]})[0] == "InvalidTag"
    assert error_of(s3.put_bucket_tagging, Bucket=bucket,
                    Tagging={"TagSet": [{"Key": "k", "Value": "v" * 257}]})[0] == "InvalidTag"
    many = [{"Key": f"k{i}", "Value": "v"} for i in range(51)]
    assert error_of(s3.put_bucket_tagging, Bucket=bucket, Tagging={"TagSet": many})[0] == "InvalidTag"
    assert error_of(s3.get_bucket_tagging, Bucket=bucket)[0] == "NoSuchTagSet"


def test_no_such_bucket(s3):
    for call in (s3.get_bucket_tagging, s3.get_bucket_cors, s3.get_bucket_encryption, s3.get_bucket_acl,
                 s3.get_bucket_policy, s3.get_public_access_block):
        assert error_of(call, Bucket="no-such-bucket-here")[:2] == ("NoSuchBucket", 404)


# -- CORS -------------------------------------------------------------------------------------

def test_cors_round_trip_and_delete(s3, bucket):
    code, status, err = error_of(s3.get_bucket_cors, Bucket=bucket)
    assert (code, status) == ("NoSuchCORSConfiguration", 404)
    assert err["Message"] == "The CORS configuration does not exist"
    rules = [{"ID": "web", "AllowedHeaders": ["*"], "AllowedMethods": ["GET", "PUT"],
              "AllowedOrigins": ["https://*.example.com", "http://localhost:3000"], "ExposeHeaders": ["ETag"],
              "MaxAgeSeconds": 3000},
             {"AllowedMethods": ["HEAD"], "AllowedOrigins": ["*"]}]
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": rules})
    assert s3.get_bucket_cors(Bucket=bucket)["CORSRules"] == rules
    s3.delete_bucket_cors(Bucket=bucket)
    assert error_of(s3.get_bucket_cors, Bucket=bucket)[0] == "NoSuchCORSConfiguration"


def test_cors_validation(s3, bucket):
    bad = {"CORSRules": [{"AllowedMethods": ["PATCH"], "AllowedOrigins": ["*"]}]}
    code, _, err = error_of(s3.put_bucket_cors, Bucket=bucket, CORSConfiguration=bad)
    assert code == "InvalidRequest"
    assert err["Message"] == "Found unsupported HTTP method in CORS config. Unsupported method is PATCH"
    two = {"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": ["*.*.example.com"]}]}
    assert error_of(s3.put_bucket_cors, Bucket=bucket, CORSConfiguration=two)[0] == "InvalidRequest"
    too_many = {"CORSRules": [{"AllowedMethods": ["GET"], "AllowedOrigins": [f"http://{i}"]} for i in range(101)]}
    assert error_of(s3.put_bucket_cors, Bucket=bucket, CORSConfiguration=too_many)[0] == "InvalidRequest"


# -- policy -----------------------------------------------------------------------------------

def _policy(bucket, principal="*", action="s3:GetObject", **extra):
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Sid": "Read", "Effect": "Allow", "Principal": principal, "Action": action,
        "Resource": f"arn:aws:s3:::{bucket}/*", **extra}]})


def test_policy_round_trip_status_and_delete(s3, bucket):
    assert error_of(s3.get_bucket_policy, Bucket=bucket)[:2] == ("NoSuchBucketPolicy", 404)
    assert error_of(s3.get_bucket_policy_status, Bucket=bucket)[:2] == ("NoSuchBucketPolicy", 404)
    private = _policy(bucket, principal={"AWS": "arn:aws:iam::111122223333:root"})
    s3.put_bucket_policy(Bucket=bucket, Policy=private)
    assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == private
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"] == {"IsPublic": False}
    # Public policies are blocked by default (BlockPublicPolicy).
    code, status, _ = error_of(s3.put_bucket_policy, Bucket=bucket, Policy=_policy(bucket))
    assert (code, status) == ("AccessDenied", 403)
    s3.delete_public_access_block(Bucket=bucket)
    public = _policy(bucket)
    s3.put_bucket_policy(Bucket=bucket, Policy=public)
    assert s3.get_bucket_policy(Bucket=bucket)["Policy"] == public
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"] == {"IsPublic": True}
    pinned = _policy(bucket, Condition={"StringEquals": {"aws:SourceAccount": "111122223333"}})
    s3.put_bucket_policy(Bucket=bucket, Policy=pinned)
    assert s3.get_bucket_policy_status(Bucket=bucket)["PolicyStatus"] == {"IsPublic": False}
    s3.delete_bucket_policy(Bucket=bucket)
    assert error_of(s3.get_bucket_policy, Bucket=bucket)[0] == "NoSuchBucketPolicy"


@pytest.mark.parametrize("policy", [
    "not json",
    "{\"Version\": \"2012-10-17\"",
    json.dumps({"Version": "2012-10-17"}),
    json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Maybe", "Principal": "*", "Action": "s3:*",
                                                        "Resource": "arn:aws:s3:::cfg-bucket"}]}),
    json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*",
                                                        "Resource": "arn:aws:s3:::cfg-bucket"}]}),
    json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:*",
                                                        "Resource": "arn:aws:s3:::other-bucket/*"}]}),
    json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": "*",
                                                        "Action": "sqs:SendMessage",
                                                        "Resource": "arn:aws:s3:::cfg-bucket/*"}]}),
    json.dumps({"Version": "1999-01-01", "Statement": []}),
])
def test_malformed_policy(s3, bucket, policy):
    code, status, _ = error_of(s3.put_bucket_policy, Bucket=bucket, Policy=policy)
    assert (code, status) == ("MalformedPolicy", 400)


# -- ACL and ownership controls ---------------------------------------------------------------------

def test_default_acl_and_ownership(s3, bucket):
    acl = s3.get_bucket_acl(Bucket=bucket)
    owner = acl["Owner"]["ID"]
    assert len(owner) == 64
    # The same owner ListBuckets shows.
    assert acl["Owner"] == s3.list_buckets()["Owner"]
    assert acl["Grants"] == [{"Grantee": {**acl["Owner"], "Type": "CanonicalUser"}, "Permission": "FULL_CONTROL"}]
    assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"] == {
        "Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]}
    # ACLs are disabled by BucketOwnerEnforced: only the owner-only ACL goes in.
    s3.put_bucket_acl(Bucket=bucket, ACL="private")
    code, status, _ = error_of(s3.put_bucket_acl, Bucket=bucket, ACL="public-read")
    assert (code, status) == ("AccessControlListNotSupported", 400)


def test_acl_canned_grants_and_body(s3, bucket):
    open_bucket(s3)
    me = s3.get_bucket_acl(Bucket=bucket)["Owner"]
    owner = me["ID"]
    mine = {**me, "Type": "CanonicalUser"}
    s3.put_bucket_acl(Bucket=bucket, ACL="public-read")
    grants = s3.get_bucket_acl(Bucket=bucket)["Grants"]
    assert grants == [
        {"Grantee": mine, "Permission": "FULL_CONTROL"},
        {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AllUsers"},
         "Permission": "READ"}]
    s3.put_bucket_acl(Bucket=bucket, ACL="log-delivery-write")
    perms = {(g["Grantee"].get("URI"), g["Permission"]) for g in s3.get_bucket_acl(Bucket=bucket)["Grants"]}
    assert ("http://acs.amazonaws.com/groups/s3/LogDelivery", "WRITE") in perms
    assert ("http://acs.amazonaws.com/groups/s3/LogDelivery", "READ_ACP") in perms
    s3.put_bucket_acl(Bucket=bucket, GrantRead='uri="http://acs.amazonaws.com/groups/global/AuthenticatedUsers"',
                      GrantFullControl=f'id="{owner}"')
    assert s3.get_bucket_acl(Bucket=bucket)["Grants"] == [
        {"Grantee": mine, "Permission": "FULL_CONTROL"},
        {"Grantee": {"Type": "Group", "URI": "http://acs.amazonaws.com/groups/global/AuthenticatedUsers"},
         "Permission": "READ"}]
    other = "a" * 64
    policy = {"Owner": {"ID": owner}, "Grants": [
        {"Grantee": mine, "Permission": "FULL_CONTROL"},
        {"Grantee": {"ID": other, "Type": "CanonicalUser"}, "Permission": "READ_ACP"}]}
    s3.put_bucket_acl(Bucket=bucket, AccessControlPolicy=policy)
    got = s3.get_bucket_acl(Bucket=bucket)
    assert got["Owner"] == me
    assert got["Grants"] == [{"Grantee": mine, "Permission": "FULL_CONTROL"}, policy["Grants"][1]]
    assert error_of(s3.put_bucket_acl, Bucket=bucket, ACL="no-such-acl")[0] == "InvalidArgument"
    bad = {"Owner": {"ID": owner}, "Grants": [{"Grantee": {"ID": other, "Type": "CanonicalUser"},
                                               "Permission": "EVERYTHING"}]}
    assert error_of(s3.put_bucket_acl, Bucket=bucket, AccessControlPolicy=bad)[0] == "MalformedACLError"
    assert error_of(s3.put_bucket_acl, Bucket=bucket, AccessControlPolicy={**policy, "Owner": {"ID": other}})[:2] \
        == ("AccessDenied", 403)
    # Back to enforced while a non-owner grant is in place: refused.
    code, _, _ = error_of(s3.put_bucket_ownership_controls, Bucket=bucket,
                          OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerEnforced"}]})
    assert code == "InvalidBucketAclWithObjectOwnership"


def test_public_acl_blocked_by_public_access_block(s3, bucket):
    s3.put_bucket_ownership_controls(Bucket=bucket,
                                     OwnershipControls={"Rules": [{"ObjectOwnership": "BucketOwnerPreferred"}]})
    assert error_of(s3.put_bucket_acl, Bucket=bucket, ACL="public-read")[:2] == ("AccessDenied", 403)


def test_ownership_controls_round_trip_and_delete(s3, bucket):
    for value in ("ObjectWriter", "BucketOwnerPreferred", "BucketOwnerEnforced"):
        s3.put_bucket_ownership_controls(Bucket=bucket, OwnershipControls={"Rules": [{"ObjectOwnership": value}]})
        assert s3.get_bucket_ownership_controls(Bucket=bucket)["OwnershipControls"]["Rules"] == [
            {"ObjectOwnership": value}]
    s3.delete_bucket_ownership_controls(Bucket=bucket)
    assert error_of(s3.get_bucket_ownership_controls, Bucket=bucket)[:2] == ("OwnershipControlsNotFoundError", 404)
    assert error_of(s3.put_bucket_ownership_controls, Bucket=bucket,
                    OwnershipControls={"Rules": [{"ObjectOwnership": "Nobody"}]})[0] == "MalformedXML"


def test_create_bucket_object_ownership(s3):
    s3.create_bucket(Bucket="own-writer", ObjectOwnership="ObjectWriter")
    assert s3.get_bucket_ownership_controls(Bucket="own-writer")["OwnershipControls"]["Rules"] == [
        {"ObjectOwnership": "ObjectWriter"}]


# -- public access block -----------------------------------------------------------------------

def test_public_access_block(s3, bucket):
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    config = {"BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
              "RestrictPublicBuckets": True}
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration=config)
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == config
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={"BlockPublicAcls": True})
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": False,
        "RestrictPublicBuckets": False}
    s3.delete_public_access_block(Bucket=bucket)
    code, status, _ = error_of(s3.get_public_access_block, Bucket=bucket)
    assert (code, status) == ("NoSuchPublicAccessBlockConfiguration", 404)


# -- encryption ---------------------------------------------------------------------------------

def test_encryption_default_round_trip_and_delete(s3, bucket):
    default = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"},
                          "BucketKeyEnabled": False}]}
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == default
    kms = {"Rules": [{"ApplyServerSideEncryptionByDefault": {
        "SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "arn:aws:kms:us-east-1:000000000000:key/abc"},
        "BucketKeyEnabled": True}]}
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration=kms)
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == kms
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}}]})
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == {
        "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms"}, "BucketKeyEnabled": False}]}
    s3.delete_bucket_encryption(Bucket=bucket)
    assert s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"] == default


def test_encryption_validation(s3, bucket):
    bad_key = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256", "KMSMasterKeyID": "k"}}]}
    assert error_of(s3.put_bucket_encryption, Bucket=bucket,
                    ServerSideEncryptionConfiguration=bad_key)[:2] == ("InvalidArgument", 400)
    bad_alg = {"Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "ROT13"}}]}
    assert error_of(s3.put_bucket_encryption, Bucket=bucket,
                    ServerSideEncryptionConfiguration=bad_alg)[0] == "MalformedXML"


# -- lifecycle ----------------------------------------------------------------------------------

def test_lifecycle_round_trip_and_delete(s3, bucket):
    code, status, err = error_of(s3.get_bucket_lifecycle_configuration, Bucket=bucket)
    assert (code, status) == ("NoSuchLifecycleConfiguration", 404)
    assert err["Message"] == "The lifecycle configuration does not exist"
    midnight = dt.datetime(2030, 1, 1, tzinfo=dt.timezone.utc)
    rules = [
        {"ID": "logs", "Filter": {"Prefix": "logs/"}, "Status": "Enabled",
         "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}, {"Days": 90, "StorageClass": "GLACIER"}],
         "Expiration": {"Days": 365},
         "NoncurrentVersionExpiration": {"NoncurrentDays": 30, "NewerNoncurrentVersions": 2}},
        {"ID": "tagged", "Filter": {"And": {"Prefix": "tmp/", "Tags": [{"Key": "k", "Value": "v"}],
                                            "ObjectSizeGreaterThan": 100}},
         "Status": "Disabled", "Expiration": {"Date": midnight}},
        {"ID": "mpu", "Filter": {}, "Status": "Enabled",
         "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7},
         "Expiration": {"ExpiredObjectDeleteMarker": True}},
        {"ID": "legacy", "Prefix": "old/", "Status": "Enabled", "Expiration": {"Days": 1}},
    ]
    resp = s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules})
    assert resp["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"
    got = s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert got["Rules"] == rules
    assert got["TransitionDefaultMinimumObjectSize"] == "all_storage_classes_128K"
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": rules[:1]},
                                          TransitionDefaultMinimumObjectSize="varies_by_storage_class")
    got = s3.get_bucket_lifecycle_configuration(Bucket=bucket)
    assert got["Rules"] == rules[:1]
    assert got["TransitionDefaultMinimumObjectSize"] == "varies_by_storage_class"
    s3.delete_bucket_lifecycle(Bucket=bucket)
    assert error_of(s3.get_bucket_lifecycle_configuration, Bucket=bucket)[0] == "NoSuchLifecycleConfiguration"
    # A rule put without an ID gets one.
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [
        {"Filter": {"Prefix": ""}, "Status": "Enabled", "Expiration": {"Days": 3}}]})
    rule = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"][0]
    assert rule["ID"] and rule["Expiration"] == {"Days": 3} and rule["Filter"] == {"Prefix": ""}


@pytest.mark.parametrize("rules,code,message", [
    ([{"ID": "a", "Filter": {}, "Status": "Enabled", "Expiration": {"Days": 1}},
      {"ID": "a", "Filter": {}, "Status": "Enabled", "Expiration": {"Days": 2}}],
     "InvalidArgument", "Rule ID must be unique. Found same ID for more than one rule"),
    ([{"ID": "a", "Filter": {}, "Status": "Enabled", "Expiration": {"Days": 0}}],
     "InvalidArgument", "'Days' for Expiration action must be a positive integer"),
    ([{"ID": "a", "Status": "Enabled", "Expiration": {"Days": 1}}], "MalformedXML", None),
    ([{"ID": "a", "Filter": {"Prefix": "x", "Tag": {"Key": "k", "Value": "v"}}, "Status": "Enabled",
       "Expiration": {"Days": 1}}], "MalformedXML", None),
    ([{"ID": "a", "Filter": {}, "Status": "Enabled"}], "InvalidRequest",
     "At least one action needs to be specified in a rule"),
    ([{"ID": f"r{i}", "Filter": {}, "Status": "Enabled", "Expiration": {"Days": 1}} for i in range(1001)],
     "InvalidRequest", None),
    ([{"ID": "a", "Filter": {}, "Status": "Enabled",
       "Transitions": [{"Days": 10, "StorageClass": "STANDARD_IA"}]}], "InvalidArgument", None),
])
def test_lifecycle_validation(s3, bucket, rules, code, message):
    got, status, err = error_of(s3.put_bucket_lifecycle_configuration, Bucket=bucket,
                                LifecycleConfiguration={"Rules": rules})
    assert (got, status) == (code, 400)
    if message:
        assert err["Message"] == message


def test_deprecated_lifecycle_operations(s3, bucket):
    rule = {"ID": "old", "Prefix": "logs/", "Status": "Enabled", "Transition": {"Days": 30, "StorageClass": "GLACIER"},
            "Expiration": {"Days": 90}}
    s3.put_bucket_lifecycle(Bucket=bucket, LifecycleConfiguration={"Rules": [rule]})
    assert s3.get_bucket_lifecycle(Bucket=bucket)["Rules"] == [rule]
    current = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"][0]
    assert current["Transitions"] == [{"Days": 30, "StorageClass": "GLACIER"}] and current["Prefix"] == "logs/"


# -- website ------------------------------------------------------------------------------------

def test_website_round_trip_and_delete(s3, bucket):
    code, status, _ = error_of(s3.get_bucket_website, Bucket=bucket)
    assert (code, status) == ("NoSuchWebsiteConfiguration", 404)
    config = {"IndexDocument": {"Suffix": "index.html"}, "ErrorDocument": {"Key": "error.html"},
              "RoutingRules": [{"Condition": {"KeyPrefixEquals": "docs/"},
                                "Redirect": {"ReplaceKeyPrefixWith": "documents/", "HttpRedirectCode": "301"}},
                               {"Condition": {"HttpErrorCodeReturnedEquals": "404"},
                                "Redirect": {"HostName": "example.com", "Protocol": "https"}}]}
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration=config)
    assert clean(s3.get_bucket_website(Bucket=bucket)) == config
    redirect = {"RedirectAllRequestsTo": {"HostName": "example.com", "Protocol": "https"}}
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration=redirect)
    assert clean(s3.get_bucket_website(Bucket=bucket)) == redirect
    s3.delete_bucket_website(Bucket=bucket)
    assert error_of(s3.get_bucket_website, Bucket=bucket)[0] == "NoSuchWebsiteConfiguration"


def test_website_validation(s3, bucket):
    assert error_of(s3.put_bucket_website, Bucket=bucket,
                    WebsiteConfiguration={"ErrorDocument": {"Key": "e.html"}})[0] == "InvalidArgument"
    assert error_of(s3.put_bucket_website, Bucket=bucket,
                    WebsiteConfiguration={"IndexDocument": {"Suffix": "a/index.html"}})[0] == "InvalidArgument"
    assert error_of(s3.put_bucket_website, Bucket=bucket, WebsiteConfiguration={
        "RedirectAllRequestsTo": {"HostName": "example.com", "Protocol": "ftp"}})[0] == "InvalidArgument"


# -- logging ------------------------------------------------------------------------------------

def test_logging(s3, bucket):
    assert clean(s3.get_bucket_logging(Bucket=bucket)) == {}
    s3.create_bucket(Bucket="cfg-logs")
    enabled = {"TargetBucket": "cfg-logs", "TargetPrefix": "access/",
               "TargetObjectKeyFormat": {"PartitionedPrefix": {"PartitionDateSource": "EventTime"}}}
    s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={"LoggingEnabled": enabled})
    assert s3.get_bucket_logging(Bucket=bucket)["LoggingEnabled"] == enabled
    s3.put_bucket_logging(Bucket=bucket, BucketLoggingStatus={})
    assert clean(s3.get_bucket_logging(Bucket=bucket)) == {}
    code, status, _ = error_of(s3.put_bucket_logging, Bucket=bucket, BucketLoggingStatus={
        "LoggingEnabled": {"TargetBucket": "cfg-no-such-logs", "TargetPrefix": ""}})
    assert (code, status) == ("InvalidTargetBucketForLogging", 400)


# -- notification -------------------------------------------------------------------------------

QUEUE = "arn:aws:sqs:us-east-1:000000000000:events"
TOPIC = "arn:aws:sns:us-east-1:000000000000:events"
FUNCTION = "arn:aws:lambda:us-east-1:000000000000:function:handler"


@pytest.fixture
def destinations(aws_client):
    aws_client("sqs").create_queue(QueueName="events")
    aws_client("sns").create_topic(Name="events")


def test_notification_round_trip(s3, bucket, destinations):
    assert clean(s3.get_bucket_notification_configuration(Bucket=bucket)) == {}
    config = {
        "QueueConfigurations": [{"Id": "q", "QueueArn": QUEUE, "Events": ["s3:ObjectCreated:*"],
                                 "Filter": {"Key": {"FilterRules": [{"Name": "Prefix", "Value": "in/"},
                                                                    {"Name": "Suffix", "Value": ".csv"}]}}}],
        "TopicConfigurations": [{"Id": "t", "TopicArn": TOPIC, "Events": ["s3:ObjectRemoved:Delete"]}],
        "LambdaFunctionConfigurations": [{"Id": "f", "LambdaFunctionArn": FUNCTION,
                                          "Events": ["s3:ObjectCreated:Put"],
                                          "Filter": {"Key": {"FilterRules": [{"Name": "Prefix", "Value": "out/"}]}}}],
        "EventBridgeConfiguration": {},
    }
    # No Lambda in nubis yet (or no such function): skip the destination check for it.
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration=config,
                                             SkipDestinationValidation=True)
    assert clean(s3.get_bucket_notification_configuration(Bucket=bucket)) == config
    # An Id is generated when none is given.
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": QUEUE, "Events": ["s3:ObjectCreated:*"]}]})
    got = s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"]
    assert got[0]["Id"] and got[0]["QueueArn"] == QUEUE
    # Filter rule names come back capitalized (Terraform sends them lower case).
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={
        "TopicConfigurations": [{"Id": "t", "TopicArn": TOPIC, "Events": ["s3:ObjectCreated:*"],
                                 "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".png"}]}}}]})
    assert s3.get_bucket_notification_configuration(Bucket=bucket)["TopicConfigurations"][0]["Filter"] == {
        "Key": {"FilterRules": [{"Name": "Suffix", "Value": ".png"}]}}
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={})
    assert clean(s3.get_bucket_notification_configuration(Bucket=bucket)) == {}


def test_deprecated_notification_operations(s3, bucket, destinations):
    assert clean(s3.get_bucket_notification(Bucket=bucket)) == {}
    s3.put_bucket_notification(Bucket=bucket, NotificationConfiguration={
        "QueueConfiguration": {"Id": "old", "Queue": QUEUE, "Events": ["s3:ObjectCreated:*"]}})
    got = s3.get_bucket_notification(Bucket=bucket)["QueueConfiguration"]
    # ``Event`` and ``Events`` are the same element on the wire: botocore fills both.
    assert {k: got[k] for k in ("Id", "Queue", "Events")} == {
        "Id": "old", "Queue": QUEUE, "Events": ["s3:ObjectCreated:*"]}
    assert s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"] == [
        {"Id": "old", "QueueArn": QUEUE, "Events": ["s3:ObjectCreated:*"]}]


def test_notification_destination_must_exist(s3, bucket, destinations):
    missing = "arn:aws:sqs:us-east-1:000000000000:no-such-queue"
    code, status, err = error_of(s3.put_bucket_notification_configuration, Bucket=bucket, NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": missing, "Events": ["s3:ObjectCreated:*"]}],
        "TopicConfigurations": [{"TopicArn": TOPIC, "Events": ["s3:ObjectRemoved:*"]}]})
    assert (code, status) == ("InvalidArgument", 400)
    assert err["Message"] == "Unable to validate the following destination configurations"
    assert err["ArgumentName1"] == missing
    assert "ArgumentName2" not in err
    assert clean(s3.get_bucket_notification_configuration(Bucket=bucket)) == {}
    s3.put_bucket_notification_configuration(Bucket=bucket, SkipDestinationValidation=True, NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": missing, "Events": ["s3:ObjectCreated:*"]}]})
    assert s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"][0]["QueueArn"] == missing


def test_notification_validation(s3, bucket, destinations):
    def rules(prefix="", suffix=""):
        return {"Key": {"FilterRules": [{"Name": "Prefix", "Value": prefix}, {"Name": "Suffix", "Value": suffix}]}}

    overlap = {"QueueConfigurations": [
        {"QueueArn": QUEUE, "Events": ["s3:ObjectCreated:*"], "Filter": rules("images/")},
        {"QueueArn": QUEUE, "Events": ["s3:ObjectCreated:Put"], "Filter": rules("images/jpg/")}]}
    code, status, err = error_of(s3.put_bucket_notification_configuration, Bucket=bucket,
                                 NotificationConfiguration=overlap)
    assert (code, status) == ("InvalidArgument", 400)
    assert err["Message"] == ("Configurations overlap. Configurations on the same bucket cannot share a common "
                              "event type.")
    # Disjoint prefixes, or disjoint event types, do not overlap.
    s3.put_bucket_notification_configuration(Bucket=bucket, NotificationConfiguration={"QueueConfigurations": [
        {"QueueArn": QUEUE, "Events": ["s3:ObjectCreated:*"], "Filter": rules("images/")},
        {"QueueArn": QUEUE, "Events": ["s3:ObjectCreated:Put"], "Filter": rules("videos/")},
        {"QueueArn": QUEUE, "Events": ["s3:ObjectRemoved:*"], "Filter": rules("images/")}]})
    assert error_of(s3.put_bucket_notification_configuration, Bucket=bucket, NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": QUEUE, "Events": ["s3:ObjectEaten:*"]}]})[0] == "InvalidArgument"
    assert error_of(s3.put_bucket_notification_configuration, Bucket=bucket, NotificationConfiguration={
        "QueueConfigurations": [{"QueueArn": TOPIC, "Events": ["s3:ObjectCreated:*"]}]})[0] == "InvalidArgument"
    assert len(s3.get_bucket_notification_configuration(Bucket=bucket)["QueueConfigurations"]) == 3


# -- replication --------------------------------------------------------------------------------

def _enable_versioning(s3, bucket):
    try:
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    except ClientError as e:  # the provider's, maybe not there yet
        if e.response["Error"]["Code"] != "NotImplemented":
            raise


def test_replication_round_trip_and_delete(s3, bucket):
    code, status, _ = error_of(s3.get_bucket_replication, Bucket=bucket)
    assert (code, status) == ("ReplicationConfigurationNotFoundError", 404)
    _enable_versioning(s3, bucket)
    config = {"Role": "arn:aws:iam::000000000000:role/replication", "Rules": [
        {"ID": "all", "Priority": 1, "Filter": {"Prefix": "docs/"}, "Status": "Enabled",
         "DeleteMarkerReplication": {"Status": "Disabled"},
         "Destination": {"Bucket": "arn:aws:s3:::cfg-replica", "StorageClass": "STANDARD_IA"}},
        {"ID": "tagged", "Priority": 2, "Filter": {"Tag": {"Key": "k", "Value": "v"}}, "Status": "Disabled",
         "DeleteMarkerReplication": {"Status": "Disabled"},
         "Destination": {"Bucket": "arn:aws:s3:::cfg-replica"}}]}
    s3.put_bucket_replication(Bucket=bucket, ReplicationConfiguration=config)
    assert s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"] == config
    dup = {**config, "Rules": [config["Rules"][0], {**config["Rules"][1], "Priority": 1}]}
    assert error_of(s3.put_bucket_replication, Bucket=bucket, ReplicationConfiguration=dup)[0] == "InvalidRequest"
    s3.delete_bucket_replication(Bucket=bucket)
    assert error_of(s3.get_bucket_replication, Bucket=bucket)[0] == "ReplicationConfigurationNotFoundError"


def test_replication_needs_versioning_and_valid_rules(s3, bucket):
    config = {"Role": "arn:aws:iam::000000000000:role/replication", "Rules": [
        {"Prefix": "", "Status": "Enabled", "Destination": {"Bucket": "arn:aws:s3:::cfg-replica"}}]}
    code, status, err = error_of(s3.put_bucket_replication, Bucket=bucket, ReplicationConfiguration=config)
    assert (code, status) == ("InvalidRequest", 400)
    assert err["Message"] == "Versioning must be 'Enabled' on the bucket to apply a replication configuration"
    _enable_versioning(s3, bucket)
    # The old schema (a rule Prefix, no Priority): stored, and given an ID.
    s3.put_bucket_replication(Bucket=bucket, ReplicationConfiguration=config)
    rule = s3.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]["Rules"][0]
    assert rule["ID"] and rule["Prefix"] == "" and rule["Destination"] == {"Bucket": "arn:aws:s3:::cfg-replica"}
    bad_dest = {**config, "Rules": [{**config["Rules"][0], "Destination": {"Bucket": "cfg-replica"}}]}
    assert error_of(s3.put_bucket_replication, Bucket=bucket, ReplicationConfiguration=bad_dest)[0] == \
        "InvalidArgument"
    no_marker = {**config, "Rules": [{"Filter": {"Prefix": ""}, "Priority": 1, "Status": "Enabled",
                                      "Destination": {"Bucket": "arn:aws:s3:::cfg-replica"}}]}
    assert error_of(s3.put_bucket_replication, Bucket=bucket, ReplicationConfiguration=no_marker)[0] == \
        "InvalidRequest"


# -- accelerate, request payment ---------------------------------------------------------------------

def test_accelerate(s3, bucket):
    assert clean(s3.get_bucket_accelerate_configuration(Bucket=bucket)) == {}
    s3.put_bucket_accelerate_configuration(Bucket=bucket, AccelerateConfiguration={"Status": "Enabled"})
    assert s3.get_bucket_accelerate_configuration(Bucket=bucket)["Status"] == "Enabled"
    s3.put_bucket_accelerate_configuration(Bucket=bucket, AccelerateConfiguration={"Status": "Suspended"})
    assert s3.get_bucket_accelerate_configuration(Bucket=bucket)["Status"] == "Suspended"
    assert error_of(s3.put_bucket_accelerate_configuration, Bucket=bucket,
                    AccelerateConfiguration={"Status": "On"})[0] == "MalformedXML"
    s3.create_bucket(Bucket="cfg.dotted")
    assert error_of(s3.put_bucket_accelerate_configuration, Bucket="cfg.dotted",
                    AccelerateConfiguration={"Status": "Enabled"})[0] == "InvalidRequest"


def test_request_payment(s3, bucket):
    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "BucketOwner"
    s3.put_bucket_request_payment(Bucket=bucket, RequestPaymentConfiguration={"Payer": "Requester"})
    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "Requester"
    assert error_of(s3.put_bucket_request_payment, Bucket=bucket,
                    RequestPaymentConfiguration={"Payer": "Nobody"})[0] == "MalformedXML"


# -- object lock --------------------------------------------------------------------------------

def test_object_lock_needs_lock_enabled_bucket(s3, bucket):
    code, status, _ = error_of(s3.get_object_lock_configuration, Bucket=bucket)
    assert (code, status) == ("ObjectLockConfigurationNotFoundError", 404)
    code, status, _ = error_of(s3.put_object_lock_configuration, Bucket=bucket,
                               ObjectLockConfiguration={"ObjectLockEnabled": "Enabled"})
    assert (code, status) == ("InvalidBucketState", 409)


def test_object_lock_on_versioned_bucket(s3, bucket):
    _enable_versioning(s3, bucket)
    config = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 1}}}
    s3.put_object_lock_configuration(Bucket=bucket, ObjectLockConfiguration=config)
    assert s3.get_object_lock_configuration(Bucket=bucket)["ObjectLockConfiguration"] == config


def test_object_lock_round_trip(s3):
    s3.create_bucket(Bucket="cfg-locked", ObjectLockEnabledForBucket=True)
    assert s3.get_object_lock_configuration(Bucket="cfg-locked")["ObjectLockConfiguration"] == {
        "ObjectLockEnabled": "Enabled"}
    config = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "GOVERNANCE", "Days": 3}}}
    s3.put_object_lock_configuration(Bucket="cfg-locked", ObjectLockConfiguration=config)
    assert s3.get_object_lock_configuration(Bucket="cfg-locked")["ObjectLockConfiguration"] == config
    config = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Years": 1}}}
    s3.put_object_lock_configuration(Bucket="cfg-locked", ObjectLockConfiguration=config)
    assert s3.get_object_lock_configuration(Bucket="cfg-locked")["ObjectLockConfiguration"] == config
    both = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 1,
                                                                          "Years": 1}}}
    assert error_of(s3.put_object_lock_configuration, Bucket="cfg-locked",
                    ObjectLockConfiguration=both)[0] == "MalformedXML"
    zero = {"ObjectLockEnabled": "Enabled", "Rule": {"DefaultRetention": {"Mode": "COMPLIANCE", "Days": 0}}}
    assert error_of(s3.put_object_lock_configuration, Bucket="cfg-locked",
                    ObjectLockConfiguration=zero)[0] == "InvalidArgument"


# -- id-keyed configurations ---------------------------------------------------------------------

def _id_configs(bucket):
    return {
        "intelligent_tiering": {"Id": "tier", "Filter": {"Prefix": "cold/"}, "Status": "Enabled",
                                "Tierings": [{"Days": 90, "AccessTier": "ARCHIVE_ACCESS"},
                                             {"Days": 180, "AccessTier": "DEEP_ARCHIVE_ACCESS"}]},
        "inventory": {"Id": "inv", "IsEnabled": True, "IncludedObjectVersions": "Current",
                      "Destination": {"S3BucketDestination": {"Bucket": f"arn:aws:s3:::{bucket}", "Format": "CSV",
                                                              "Prefix": "inventory"}},
                      "Schedule": {"Frequency": "Daily"}, "OptionalFields": ["Size", "ETag"]},
        "analytics": {"Id": "ana", "Filter": {"Tag": {"Key": "k", "Value": "v"}},
                      "StorageClassAnalysis": {"DataExport": {
                          "OutputSchemaVersion": "V_1",
                          "Destination": {"S3BucketDestination": {"Format": "CSV",
                                                                  "Bucket": f"arn:aws:s3:::{bucket}"}}}}},
        "metrics": {"Id": "met", "Filter": {"And": {"Prefix": "p/", "Tags": [{"Key": "k", "Value": "v"}]}}},
    }


_CAMEL = {"intelligent_tiering": "IntelligentTiering", "inventory": "Inventory", "analytics": "Analytics",
          "metrics": "Metrics"}


@pytest.mark.parametrize("kind", list(_CAMEL))
def test_id_keyed_configuration(s3, bucket, kind):
    name = _CAMEL[kind]
    put = getattr(s3, f"put_bucket_{kind}_configuration")
    get = getattr(s3, f"get_bucket_{kind}_configuration")
    delete = getattr(s3, f"delete_bucket_{kind}_configuration")
    listing = getattr(s3, f"list_bucket_{kind}_configurations")
    member = f"{name}Configuration"
    config = _id_configs(bucket)[kind]
    cid = config["Id"]
    code, status, err = error_of(get, Bucket=bucket, Id=cid)
    assert (code, status, err["Message"]) == ("NoSuchConfiguration", 404,
                                              "The specified configuration does not exist.")
    assert error_of(delete, Bucket=bucket, Id=cid)[:2] == ("NoSuchConfiguration", 404)
    listed = listing(Bucket=bucket)
    assert listed["IsTruncated"] is False and not listed.get(f"{member}List")
    put(Bucket=bucket, Id=cid, **{member: config})
    assert get(Bucket=bucket, Id=cid)[member] == config
    second = {**config, "Id": "zz-second"}
    put(Bucket=bucket, Id="zz-second", **{member: second})
    assert listing(Bucket=bucket)[f"{member}List"] == [config, second]
    assert error_of(put, Bucket=bucket, Id="other", **{member: config})[0] == "InvalidArgument"
    delete(Bucket=bucket, Id=cid)
    assert error_of(get, Bucket=bucket, Id=cid)[0] == "NoSuchConfiguration"
    assert listing(Bucket=bucket)[f"{member}List"] == [second]


def test_metrics_listing_pages(s3, bucket):
    for i in range(105):
        s3.put_bucket_metrics_configuration(Bucket=bucket, Id=f"m{i:03d}", MetricsConfiguration={"Id": f"m{i:03d}"})
    first = s3.list_bucket_metrics_configurations(Bucket=bucket)
    assert first["IsTruncated"] is True and len(first["MetricsConfigurationList"]) == 100
    rest = s3.list_bucket_metrics_configurations(Bucket=bucket, ContinuationToken=first["NextContinuationToken"])
    assert rest["IsTruncated"] is False
    assert [c["Id"] for c in first["MetricsConfigurationList"] + rest["MetricsConfigurationList"]] == [
        f"m{i:03d}" for i in range(105)]


def test_intelligent_tiering_validation(s3, bucket):
    bad = {"Id": "t", "Status": "Enabled", "Tierings": [{"Days": 30, "AccessTier": "ARCHIVE_ACCESS"}]}
    assert error_of(s3.put_bucket_intelligent_tiering_configuration, Bucket=bucket, Id="t",
                    IntelligentTieringConfiguration=bad)[0] == "InvalidArgument"


# -- a deleted bucket forgets its configurations ------------------------------------------------------

def test_deleted_bucket_forgets_configurations(s3, bucket):
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    s3.put_bucket_cors(Bucket=bucket, CORSConfiguration={"CORSRules": [{"AllowedMethods": ["GET"],
                                                                        "AllowedOrigins": ["*"]}]})
    s3.put_bucket_website(Bucket=bucket, WebsiteConfiguration={"IndexDocument": {"Suffix": "index.html"}})
    s3.put_bucket_metrics_configuration(Bucket=bucket, Id="m", MetricsConfiguration={"Id": "m"})
    s3.delete_public_access_block(Bucket=bucket)
    s3.put_bucket_request_payment(Bucket=bucket, RequestPaymentConfiguration={"Payer": "Requester"})
    s3.delete_bucket(Bucket=bucket)
    s3.create_bucket(Bucket=bucket)
    assert error_of(s3.get_bucket_tagging, Bucket=bucket)[0] == "NoSuchTagSet"
    assert error_of(s3.get_bucket_cors, Bucket=bucket)[0] == "NoSuchCORSConfiguration"
    assert error_of(s3.get_bucket_website, Bucket=bucket)[0] == "NoSuchWebsiteConfiguration"
    assert error_of(s3.get_bucket_metrics_configuration, Bucket=bucket, Id="m")[0] == "NoSuchConfiguration"
    assert s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]["BlockPublicAcls"] is True
    assert s3.get_bucket_request_payment(Bucket=bucket)["Payer"] == "BucketOwner"


def test_expected_bucket_owner(s3, bucket):
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "k", "Value": "v"}]},
                          ExpectedBucketOwner="000000000000")
    assert error_of(s3.get_bucket_tagging, Bucket=bucket, ExpectedBucketOwner="111122223333")[:2] == \
        ("AccessDenied", 403)


def test_configurations_survive_kill_9(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    s3 = server.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_bucket_tagging(Bucket=BUCKET, Tagging={"TagSet": [{"Key": "k", "Value": "v"}]})
    s3.put_bucket_metrics_configuration(Bucket=BUCKET, Id="m", MetricsConfiguration={"Id": "m"})
    s3.delete_public_access_block(Bucket=BUCKET)
    server.kill9()
    s3 = server_process("--data-dir", data).client("s3")
    assert s3.get_bucket_tagging(Bucket=BUCKET)["TagSet"] == [{"Key": "k", "Value": "v"}]
    assert s3.get_bucket_metrics_configuration(Bucket=BUCKET, Id="m")["MetricsConfiguration"] == {"Id": "m"}
    assert error_of(s3.get_public_access_block, Bucket=BUCKET)[0] == "NoSuchPublicAccessBlockConfiguration"
