"""Storage Lens configurations and groups, Batch Operations jobs mid-run and Access Grants survive restarts."""
from __future__ import annotations

import uuid

from .conftest import ACCOUNT, loopback

ROLE = f"arn:aws:iam::{ACCOUNT}:role/batch"
CONFIG = {"Id": "dash", "IsEnabled": True, "AccountLevel": {"BucketLevel": {}}}
GROUP = {"Name": "logs", "Filter": {"MatchAnyPrefix": ["logs/"]}}


def clients(server):
    return loopback(server.client("s3"), server.port), loopback(server.client("s3control"), server.port)


def job(control, etag: str, key: str, confirm: bool) -> str:
    return control.create_job(
        AccountId=ACCOUNT, ConfirmationRequired=confirm, Priority=1, RoleArn=ROLE,
        ClientRequestToken=str(uuid.uuid4()), Report={"Enabled": False},
        Operation={"S3PutObjectTagging": {"TagSet": [{"Key": "k", "Value": "v"}]}},
        Manifest={"Spec": {"Format": "S3BatchOperations_CSV_20180820", "Fields": ["Bucket", "Key"]},
                  "Location": {"ObjectArn": f"arn:aws:s3:::data/{key}", "ETag": etag}})["JobId"]


def status(control, job_id: str) -> tuple[str, int]:
    j = control.describe_job(AccountId=ACCOUNT, JobId=job_id)["Job"]
    return j["Status"], j["ProgressSummary"]["NumberOfTasksSucceeded"]


def test_lens_and_jobs_survive_restarts(server_process, tmp_path):
    data = str(tmp_path / "data")
    server = server_process("--data-dir", data)
    server.post("/_nubis/clock", {"freeze": True})
    s3, control = clients(server)
    control.put_storage_lens_configuration(AccountId=ACCOUNT, ConfigId="dash", StorageLensConfiguration=CONFIG,
                                           Tags=[{"Key": "t", "Value": "1"}])
    control.create_storage_lens_group(AccountId=ACCOUNT, StorageLensGroup=GROUP)
    s3.create_bucket(Bucket="data")
    s3.put_object(Bucket="data", Key="obj", Body=b"x")
    one = s3.put_object(Bucket="data", Key="one.csv", Body=b"data,obj")["ETag"]
    many = s3.put_object(Bucket="data", Key="many.csv", Body=b"\n".join([b"data,obj"] * 150))["ETag"]
    control.create_access_grants_instance(AccountId=ACCOUNT)
    location = control.create_access_grants_location(AccountId=ACCOUNT, LocationScope="s3://data",
                                                     IAMRoleArn=ROLE)["AccessGrantsLocationId"]
    grant = control.create_access_grant(AccountId=ACCOUNT, AccessGrantsLocationId=location, Permission="READ",
                                        Grantee={"GranteeType": "IAM", "GranteeIdentifier": ROLE})["AccessGrantId"]
    waiting = job(control, one, "one.csv", True)
    running = job(control, many, "many.csv", False)
    server.post("/_nubis/clock", {"advance_seconds": 2})
    assert status(control, waiting) == ("Suspended", 0)
    assert status(control, running) == ("Active", 100)
    server.kill9()

    server = server_process("--data-dir", data)
    server.post("/_nubis/clock", {"freeze": True})
    s3, control = clients(server)
    assert control.get_storage_lens_configuration(AccountId=ACCOUNT, ConfigId="dash")[
        "StorageLensConfiguration"]["Id"] == "dash"
    assert control.get_storage_lens_configuration_tagging(AccountId=ACCOUNT, ConfigId="dash")["Tags"] == [
        {"Key": "t", "Value": "1"}]
    assert control.get_storage_lens_group(AccountId=ACCOUNT, Name="logs")["StorageLensGroup"]["Filter"] == \
        GROUP["Filter"]
    assert control.get_access_grant(AccountId=ACCOUNT, AccessGrantId=grant)["GrantScope"] == "s3://data/*"
    assert control.get_access_grants_location(AccountId=ACCOUNT, AccessGrantsLocationId=location)[
        "IAMRoleArn"] == ROLE
    server.post("/_nubis/clock", {"advance_seconds": 5})
    assert status(control, running) == ("Complete", 150)
    assert status(control, waiting) == ("Suspended", 0)
    control.update_job_status(AccountId=ACCOUNT, JobId=waiting, RequestedJobStatus="Ready")
    server.post("/_nubis/clock", {"advance_seconds": 5})
    assert status(control, waiting) == ("Complete", 1)
    assert s3.get_object_tagging(Bucket="data", Key="obj")["TagSet"] == [{"Key": "k", "Value": "v"}]
