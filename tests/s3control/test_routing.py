"""Where S3 Control requests go: the ``{AccountId}.`` host prefix, regional hosts, path-style."""
from __future__ import annotations

import pytest

from .conftest import ACCOUNT


@pytest.mark.parametrize("host", ["localhost", "s3-control.us-east-1.localhost",
                                  f"{ACCOUNT}.s3-control.us-east-1.localhost",
                                  "localhost.localstack.cloud"])
def test_s3control_answers_on_every_host_form(make_client, bucket, host):
    control = make_client("s3control", host=host)
    control.create_access_point(AccountId=ACCOUNT, Name="routed", Bucket=bucket)
    assert [a["Name"] for a in control.list_access_points(AccountId=ACCOUNT)["AccessPointList"]] == ["routed"]


def test_a_bucket_named_like_an_account_is_still_a_bucket(nubis, make_client):
    """``<account>.localhost`` without x-amz-account-id stays S3 virtual-host addressing."""
    virtual = make_client("s3", addressing_style="virtual")
    virtual.create_bucket(Bucket=ACCOUNT)
    virtual.put_object(Bucket=ACCOUNT, Key="v20180820/accesspoint/x", Body=b"an object")
    assert virtual.get_object(Bucket=ACCOUNT, Key="v20180820/accesspoint/x")["Body"].read() == b"an object"
