"""Access points, their policies and the account's public access block survive restarts."""
from __future__ import annotations

from .conftest import ACCOUNT, loopback

POLICY = '{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Principal":"*","Action":"s3:*","Resource":"*"}]}'


def test_access_points_survive_restarts(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    s3, control = loopback(server.client("s3"), server.port), loopback(server.client("s3control"), server.port)
    s3.create_bucket(Bucket="durable")
    alias = control.create_access_point(AccountId=ACCOUNT, Name="keep", Bucket="durable",
                                        Tags=[{"Key": "k", "Value": "v"}])["Alias"]
    control.put_access_point_policy(AccountId=ACCOUNT, Name="keep", Policy=POLICY)
    s3.put_object(Bucket=alias, Key="obj", Body=b"kept")
    assert server.terminate() == 0

    server = server_process("--data-dir", data)
    s3, control = loopback(server.client("s3"), server.port), loopback(server.client("s3control"), server.port)
    got = control.get_access_point(AccountId=ACCOUNT, Name="keep")
    assert got["Alias"] == alias and got["Bucket"] == "durable"
    assert control.get_access_point_policy(AccountId=ACCOUNT, Name="keep")["Policy"] == POLICY
    assert s3.get_object(Bucket=alias, Key="obj")["Body"].read() == b"kept"
    control.put_public_access_block(AccountId=ACCOUNT, PublicAccessBlockConfiguration={"BlockPublicAcls": True})
    control.delete_access_point(AccountId=ACCOUNT, Name="keep")
    server.kill9()

    server = server_process("--data-dir", data)
    s3, control = loopback(server.client("s3"), server.port), loopback(server.client("s3control"), server.port)
    assert control.list_access_points(AccountId=ACCOUNT)["AccessPointList"] == []
    assert control.get_public_access_block(AccountId=ACCOUNT)["PublicAccessBlockConfiguration"][
        "BlockPublicAcls"] is True
    arn = f"arn:aws:s3:us-east-1:{ACCOUNT}:accesspoint/keep"
    assert s3.get_object(Bucket="durable", Key="obj")["Body"].read() == b"kept"
    try:
        s3.get_object(Bucket=arn, Key="obj")
    except s3.exceptions.NoSuchBucket:
        pass
    else:
        raise AssertionError("a deleted access point still answered")
