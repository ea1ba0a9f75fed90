"""S3 Control access points through boto3's s3control client: create, get, list, delete, errors."""
from __future__ import annotations

import re

import pytest
from botocore.exceptions import ClientError

from .conftest import ACCOUNT


def error(exc_info) -> tuple[str, int]:
    e = exc_info.value.response
    return e["Error"]["Code"], e["ResponseMetadata"]["HTTPStatusCode"]


def test_create_returns_the_arn_and_a_bucket_style_alias(control, bucket):
    out = control.create_access_point(AccountId=ACCOUNT, Name="myap", Bucket=bucket)
    assert out["AccessPointArn"] == f"arn:aws:s3:us-east-1:{ACCOUNT}:accesspoint/myap"
    assert re.fullmatch(r"myap-[a-z0-9]{34}-s3alias", out["Alias"])
    other = control.create_access_point(AccountId=ACCOUNT, Name="other", Bucket=bucket)
    assert other["Alias"] != out["Alias"]


def test_a_long_name_keeps_the_alias_a_valid_bucket_name(control, bucket):
    name = "a" * 45 + "-long"
    alias = control.create_access_point(AccountId=ACCOUNT, Name=name, Bucket=bucket)["Alias"]
    assert len(alias) <= 63 and alias.endswith("-s3alias") and alias.startswith("a" * 20 + "-")


def test_get_describes_the_access_point(nubis, control, bucket, access_point):
    got = control.get_access_point(AccountId=ACCOUNT, Name="myap")
    assert got["Name"] == "myap" and got["Bucket"] == bucket and got["BucketAccountId"] == ACCOUNT
    assert got["NetworkOrigin"] == "Internet" and "VpcConfiguration" not in got
    assert got["Alias"] == access_point["Alias"] and got["AccessPointArn"] == access_point["AccessPointArn"]
    # An access point blocks public access unless told otherwise.
    assert got["PublicAccessBlockConfiguration"] == {"BlockPublicAcls": True, "IgnorePublicAcls": True,
                                                     "BlockPublicPolicy": True, "RestrictPublicBuckets": True}
    assert got["Endpoints"]["ipv4"] == "s3-accesspoint.us-east-1.localhost"
    assert abs(got["CreationDate"].timestamp() - nubis.clock()) < 1  # the clock stands still here


def test_vpc_and_public_access_block_settings_are_kept(control, bucket):
    control.create_access_point(AccountId=ACCOUNT, Name="inside", Bucket=bucket,
                                VpcConfiguration={"VpcId": "vpc-1a2b3c4d"},
                                PublicAccessBlockConfiguration={"BlockPublicAcls": False,
                                                                "RestrictPublicBuckets": False})
    got = control.get_access_point(AccountId=ACCOUNT, Name="inside")
    assert got["NetworkOrigin"] == "VPC" and got["VpcConfiguration"] == {"VpcId": "vpc-1a2b3c4d"}
    assert got["PublicAccessBlockConfiguration"] == {"BlockPublicAcls": False, "IgnorePublicAcls": True,
                                                     "BlockPublicPolicy": True, "RestrictPublicBuckets": False}
    listed = control.list_access_points(AccountId=ACCOUNT)["AccessPointList"]
    assert listed[0]["NetworkOrigin"] == "VPC" and listed[0]["VpcConfiguration"] == {"VpcId": "vpc-1a2b3c4d"}


def test_list_filters_by_bucket_and_pages(s3, control, bucket):
    s3.create_bucket(Bucket="another-bucket")
    for name in ("ap-c", "ap-a", "ap-b"):
        control.create_access_point(AccountId=ACCOUNT, Name=name, Bucket=bucket)
    control.create_access_point(AccountId=ACCOUNT, Name="ap-z", Bucket="another-bucket")
    everything = control.list_access_points(AccountId=ACCOUNT)["AccessPointList"]
    assert [a["Name"] for a in everything] == ["ap-a", "ap-b", "ap-c", "ap-z"]
    assert everything[0] == {"Name": "ap-a", "NetworkOrigin": "Internet", "Bucket": bucket,
                             "AccessPointArn": f"arn:aws:s3:us-east-1:{ACCOUNT}:accesspoint/ap-a",
                             "Alias": everything[0]["Alias"], "BucketAccountId": ACCOUNT}
    only = control.list_access_points(AccountId=ACCOUNT, Bucket="another-bucket")["AccessPointList"]
    assert [a["Name"] for a in only] == ["ap-z"]
    page = control.list_access_points(AccountId=ACCOUNT, Bucket=bucket, MaxResults=2)
    assert [a["Name"] for a in page["AccessPointList"]] == ["ap-a", "ap-b"]
    rest = control.list_access_points(AccountId=ACCOUNT, Bucket=bucket, MaxResults=2, NextToken=page["NextToken"])
    assert [a["Name"] for a in rest["AccessPointList"]] == ["ap-c"] and "NextToken" not in rest
    names, token = [], None
    while True:
        page = control.list_access_points(AccountId=ACCOUNT, MaxResults=1, **({"NextToken": token} if token else {}))
        names += [a["Name"] for a in page["AccessPointList"]]
        token = page.get("NextToken")
        if not token:
            break
    assert names == ["ap-a", "ap-b", "ap-c", "ap-z"]


def test_access_points_are_regional(make_client, control, bucket, access_point):
    west = make_client("s3control", region="us-west-2")
    assert west.list_access_points(AccountId=ACCOUNT)["AccessPointList"] == []
    with pytest.raises(ClientError) as e:
        west.get_access_point(AccountId=ACCOUNT, Name="myap")
    assert error(e) == ("NoSuchAccessPoint", 404)
    # The same name is free in another region.
    out = west.create_access_point(AccountId=ACCOUNT, Name="myap", Bucket=bucket)
    assert out["AccessPointArn"] == f"arn:aws:s3:us-west-2:{ACCOUNT}:accesspoint/myap"


def test_delete_removes_it(control, access_point):
    control.delete_access_point(AccountId=ACCOUNT, Name="myap")
    with pytest.raises(ClientError) as e:
        control.get_access_point(AccountId=ACCOUNT, Name="myap")
    assert error(e) == ("NoSuchAccessPoint", 404)
    assert e.value.response["Error"]["Message"] == "The specified accesspoint does not exist"
    with pytest.raises(ClientError) as e:
        control.delete_access_point(AccountId=ACCOUNT, Name="myap")
    assert error(e) == ("NoSuchAccessPoint", 404)
    assert control.list_access_points(AccountId=ACCOUNT)["AccessPointList"] == []


def test_a_duplicate_name_is_already_owned_by_you(control, bucket, access_point):
    with pytest.raises(ClientError) as e:
        control.create_access_point(AccountId=ACCOUNT, Name="myap", Bucket=bucket)
    assert error(e) == ("AccessPointAlreadyOwnedByYou", 409)


def test_the_bucket_must_exist(control):
    with pytest.raises(ClientError) as e:
        control.create_access_point(AccountId=ACCOUNT, Name="myap", Bucket="no-such-bucket")
    assert error(e) == ("NoSuchBucket", 404)


@pytest.mark.parametrize("name", ["MyAp", "my_ap", "-myap", "myap-", "my.ap", "a" * 51, "data-s3alias"])
def test_names_follow_the_naming_rules(control, bucket, name):
    with pytest.raises(ClientError) as e:
        control.create_access_point(AccountId=ACCOUNT, Name=name, Bucket=bucket)
    assert error(e) == ("InvalidURI", 400)


def test_another_accounts_id_is_access_denied(control, bucket):
    with pytest.raises(ClientError) as e:
        control.create_access_point(AccountId="111111111111", Name="myap", Bucket=bucket)
    assert error(e) == ("AccessDenied", 403)
    with pytest.raises(ClientError) as e:
        control.list_access_points(AccountId="111111111111")
    assert error(e) == ("AccessDenied", 403)


def test_a_bucket_of_another_account_needs_its_id(make_client, control):
    other = make_client("s3", key="111111111111")
    other.create_bucket(Bucket="their-bucket")
    with pytest.raises(ClientError) as e:
        control.create_access_point(AccountId=ACCOUNT, Name="theirs", Bucket="their-bucket",
                                    BucketAccountId="222222222222")
    assert error(e) == ("AccessDenied", 403)
    control.create_access_point(AccountId=ACCOUNT, Name="theirs", Bucket="their-bucket",
                                BucketAccountId="111111111111")
    assert control.get_access_point(AccountId=ACCOUNT, Name="theirs")["BucketAccountId"] == "111111111111"


def test_deleting_the_bucket_leaves_the_access_point(s3, control, bucket, access_point):
    s3.delete_bucket(Bucket=bucket)
    assert control.get_access_point(AccountId=ACCOUNT, Name="myap")["Bucket"] == bucket


# -- policies -------------------------------------------------------------------------------

POLICY = ('{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::'
          + ACCOUNT + ':root"},"Action":"s3:GetObject","Resource":"arn:aws:s3:us-east-1:' + ACCOUNT
          + ':accesspoint/myap/object/*"}]}')
PUBLIC = '{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"s3:GetObject",' \
         '"Resource":"arn:aws:s3:us-east-1:' + ACCOUNT + ':accesspoint/myap/object/*"}]}'


def test_policy_put_get_status_delete(control, access_point):
    for call in (control.get_access_point_policy, control.get_access_point_policy_status):
        with pytest.raises(ClientError) as e:
            call(AccountId=ACCOUNT, Name="myap")
        assert error(e) == ("NoSuchAccessPointPolicy", 404)
    control.put_access_point_policy(AccountId=ACCOUNT, Name="myap", Policy=POLICY)
    assert control.get_access_point_policy(AccountId=ACCOUNT, Name="myap")["Policy"] == POLICY
    assert control.get_access_point_policy_status(AccountId=ACCOUNT, Name="myap")["PolicyStatus"] == \
        {"IsPublic": False}
    control.put_access_point_policy(AccountId=ACCOUNT, Name="myap", Policy=PUBLIC)
    assert control.get_access_point_policy_status(AccountId=ACCOUNT, Name="myap")["PolicyStatus"] == \
        {"IsPublic": True}
    control.delete_access_point_policy(AccountId=ACCOUNT, Name="myap")
    with pytest.raises(ClientError) as e:
        control.get_access_point_policy(AccountId=ACCOUNT, Name="myap")
    assert error(e) == ("NoSuchAccessPointPolicy", 404)


def test_a_policy_must_be_json(control, access_point):
    with pytest.raises(ClientError) as e:
        control.put_access_point_policy(AccountId=ACCOUNT, Name="myap", Policy="not json")
    assert error(e) == ("MalformedPolicy", 400)


def test_policies_of_a_missing_access_point(control):
    with pytest.raises(ClientError) as e:
        control.put_access_point_policy(AccountId=ACCOUNT, Name="nope", Policy=POLICY)
    assert error(e) == ("NoSuchAccessPoint", 404)


# -- the account's public access block ------------------------------------------------------

def test_account_public_access_block(control):
    with pytest.raises(ClientError) as e:
        control.get_public_access_block(AccountId=ACCOUNT)
    assert error(e) == ("NoSuchPublicAccessBlockConfiguration", 404)
    control.put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "BlockPublicPolicy": True})
    assert control.get_public_access_block(AccountId=ACCOUNT)["PublicAccessBlockConfiguration"] == {
        "BlockPublicAcls": True, "IgnorePublicAcls": False, "BlockPublicPolicy": True,
        "RestrictPublicBuckets": False}
    control.delete_public_access_block(AccountId=ACCOUNT)
    with pytest.raises(ClientError) as e:
        control.get_public_access_block(AccountId=ACCOUNT)
    assert error(e) == ("NoSuchPublicAccessBlockConfiguration", 404)


# -- tags -------------------------------------------------------------------------------------

def test_tags_on_an_access_point(control, bucket):
    arn = control.create_access_point(AccountId=ACCOUNT, Name="tagged", Bucket=bucket,
                                      Tags=[{"Key": "team", "Value": "data"}])["AccessPointArn"]
    assert control.list_tags_for_resource(AccountId=ACCOUNT, ResourceArn=arn)["Tags"] == \
        [{"Key": "team", "Value": "data"}]
    control.tag_resource(AccountId=ACCOUNT, ResourceArn=arn, Tags=[{"Key": "team", "Value": "ml"},
                                                                   {"Key": "env", "Value": "dev"}])
    tags = control.list_tags_for_resource(AccountId=ACCOUNT, ResourceArn=arn)["Tags"]
    assert sorted((t["Key"], t["Value"]) for t in tags) == [("env", "dev"), ("team", "ml")]
    control.untag_resource(AccountId=ACCOUNT, ResourceArn=arn, TagKeys=["team"])
    assert control.list_tags_for_resource(AccountId=ACCOUNT, ResourceArn=arn)["Tags"] == \
        [{"Key": "env", "Value": "dev"}]
    with pytest.raises(ClientError) as e:
        control.list_tags_for_resource(AccountId=ACCOUNT,
                                       ResourceArn=f"arn:aws:s3:us-east-1:{ACCOUNT}:accesspoint/nope")
    assert error(e) == ("NoSuchAccessPoint", 404)
    with pytest.raises(ClientError) as e:  # not an S3 resource's ARN at all
        control.list_tags_for_resource(AccountId=ACCOUNT, ResourceArn="not-an-arn")
    assert error(e) == ("InvalidRequest", 400)


def test_a_negative_max_results_is_refused(nubis):
    """For clients that do not check the model's range (boto3 does): an error, not a crash."""
    from urllib.parse import urlsplit

    import boto3
    from botocore.config import Config
    from nubis.testing.loopback import loopback

    raw = loopback(boto3.client("s3control", endpoint_url=nubis.endpoint, region_name="us-east-1",
                                aws_access_key_id="test", aws_secret_access_key="test",
                                config=Config(parameter_validation=False, retries={"max_attempts": 1})),
                   urlsplit(nubis.endpoint).port)
    with pytest.raises(ClientError) as e:
        raw.list_access_points(AccountId=ACCOUNT, MaxResults=-1)
    assert error(e) == ("InvalidArgument", 400)
