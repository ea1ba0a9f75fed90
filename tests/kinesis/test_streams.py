"""Stream management: create, describe, list, delete, tags, retention, encryption, monitoring, modes, policies."""
from __future__ import annotations

import json

from .conftest import ACCOUNT, code, error_of


def test_create_describe_and_delete(kinesis, make_stream):
    kinesis.create_stream(StreamName="fresh", ShardCount=3)
    summaries = kinesis.list_streams()["StreamSummaries"]
    assert [(s["StreamName"], s["StreamStatus"]) for s in summaries] == [("fresh", "CREATING")]
    kinesis.get_waiter("stream_exists").wait(StreamName="fresh", WaiterConfig={"Delay": 0.1, "MaxAttempts": 2})
    d = kinesis.describe_stream(StreamName="fresh")["StreamDescription"]
    assert d["StreamStatus"] == "ACTIVE"
    assert d["StreamARN"] == f"arn:aws:kinesis:us-east-1:{ACCOUNT}:stream/fresh"
    assert d["RetentionPeriodHours"] == 24 and d["EncryptionType"] == "NONE"
    assert d["StreamModeDetails"] == {"StreamMode": "PROVISIONED"}
    assert [s["ShardId"] for s in d["Shards"]] == [f"shardId-00000000000{i}" for i in range(3)]
    assert d["HasMoreShards"] is False
    paged = kinesis.describe_stream(StreamName="fresh", Limit=2)["StreamDescription"]
    assert len(paged["Shards"]) == 2 and paged["HasMoreShards"] is True
    rest = kinesis.describe_stream(StreamName="fresh", ExclusiveStartShardId="shardId-000000000001")
    assert [s["ShardId"] for s in rest["StreamDescription"]["Shards"]] == ["shardId-000000000002"]
    by_arn = kinesis.describe_stream_summary(StreamARN=d["StreamARN"])["StreamDescriptionSummary"]
    assert by_arn["OpenShardCount"] == 3 and by_arn["StreamName"] == "fresh"
    assert code(error_of(kinesis.create_stream, StreamName="fresh", ShardCount=1)) == "ResourceInUseException"
    kinesis.delete_stream(StreamARN=d["StreamARN"])
    assert code(error_of(kinesis.describe_stream, StreamName="fresh")) == "ResourceNotFoundException"
    assert code(error_of(kinesis.create_stream, StreamName="bad name", ShardCount=1)) == "ValidationException"


def test_on_demand_streams_start_with_four_shards(kinesis, make_stream):
    arn = make_stream("od", shards=None, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    s = kinesis.describe_stream_summary(StreamARN=arn)["StreamDescriptionSummary"]
    assert s["OpenShardCount"] == 4 and s["StreamModeDetails"]["StreamMode"] == "ON_DEMAND"
    limits = kinesis.describe_limits()
    assert limits["OnDemandStreamCount"] == 1 and limits["OpenShardCount"] == 4
    kinesis.update_stream_mode(StreamARN=arn, StreamModeDetails={"StreamMode": "PROVISIONED"})
    d = kinesis.describe_stream_summary(StreamARN=arn)["StreamDescriptionSummary"]
    assert d["StreamModeDetails"]["StreamMode"] == "PROVISIONED" and d["StreamStatus"] == "ACTIVE"


def test_list_streams_pages(kinesis, make_stream):
    for name in ("a1", "a2", "a3"):
        kinesis.create_stream(StreamName=name, ShardCount=1)
    page = kinesis.list_streams(Limit=2)
    assert page["StreamNames"] == ["a1", "a2"] and page["HasMoreStreams"] is True
    rest = kinesis.list_streams(NextToken=page["NextToken"])
    assert rest["StreamNames"] == ["a3"] and rest["HasMoreStreams"] is False
    assert kinesis.list_streams(ExclusiveStartStreamName="a1")["StreamNames"] == ["a2", "a3"]
    names = [n for p in kinesis.get_paginator("list_streams").paginate(PaginationConfig={"PageSize": 1})
             for n in p["StreamNames"]]
    assert names == ["a1", "a2", "a3"]


def test_tags_on_streams_and_resources(kinesis, make_stream):
    arn = make_stream("tagged", Tags={"team": "core"})
    kinesis.add_tags_to_stream(StreamName="tagged", Tags={"env": "dev", "b": "2"})
    out = kinesis.list_tags_for_stream(StreamName="tagged")
    assert out["Tags"] == [{"Key": "b", "Value": "2"}, {"Key": "env", "Value": "dev"},
                           {"Key": "team", "Value": "core"}]
    assert out["HasMoreTags"] is False
    page = kinesis.list_tags_for_stream(StreamName="tagged", Limit=1, ExclusiveStartTagKey="b")
    assert page["Tags"] == [{"Key": "env", "Value": "dev"}] and page["HasMoreTags"] is True
    kinesis.remove_tags_from_stream(StreamName="tagged", TagKeys=["b"])
    kinesis.tag_resource(ResourceARN=arn, Tags={"x": "y"})
    kinesis.untag_resource(ResourceARN=arn, TagKeys=["env"])
    assert kinesis.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "core"},
                                                                      {"Key": "x", "Value": "y"}]
    e = error_of(kinesis.add_tags_to_stream, StreamName="tagged", Tags={f"k{i}": "v" for i in range(11)})
    assert code(e) == "InvalidArgumentException"


def test_retention_period_bounds(kinesis, make_stream):
    make_stream("kept")
    assert code(error_of(kinesis.increase_stream_retention_period, StreamName="kept",
                         RetentionPeriodHours=8761)) == "InvalidArgumentException"
    assert code(error_of(kinesis.decrease_stream_retention_period, StreamName="kept",
                         RetentionPeriodHours=23)) == "InvalidArgumentException"
    kinesis.increase_stream_retention_period(StreamName="kept", RetentionPeriodHours=8760)
    assert code(error_of(kinesis.increase_stream_retention_period, StreamName="kept",
                         RetentionPeriodHours=48)) == "InvalidArgumentException"
    kinesis.decrease_stream_retention_period(StreamName="kept", RetentionPeriodHours=48)
    d = kinesis.describe_stream_summary(StreamName="kept")["StreamDescriptionSummary"]
    assert d["RetentionPeriodHours"] == 48


def test_encryption_checks_the_kms_key(kinesis, aws_client, nubis, make_stream):
    make_stream("secret")
    kms = aws_client("kms")
    key = kms.create_key()["KeyMetadata"]["KeyId"]
    e = error_of(kinesis.start_stream_encryption, StreamName="secret", EncryptionType="KMS",
                 KeyId="11111111-2222-3333-4444-555555555555")
    assert code(e) == "KMSNotFoundException"
    kinesis.start_stream_encryption(StreamName="secret", EncryptionType="KMS", KeyId=key)
    # UPDATING until a describe looks (or a moment passes on the clock).
    assert code(error_of(kinesis.stop_stream_encryption, StreamName="secret", EncryptionType="KMS",
                         KeyId=key)) == "ResourceInUseException"
    d = kinesis.describe_stream_summary(StreamName="secret")["StreamDescriptionSummary"]
    assert d["EncryptionType"] == "KMS" and d["KeyId"] == key and d["StreamStatus"] == "ACTIVE"
    out = kinesis.put_record(StreamName="secret", Data=b"x", PartitionKey="p")
    assert out["EncryptionType"] == "KMS"
    nubis.advance(1)
    it = kinesis.get_shard_iterator(StreamName="secret", ShardId=out["ShardId"],
                                    ShardIteratorType="TRIM_HORIZON")["ShardIterator"]
    assert kinesis.get_records(ShardIterator=it)["Records"][0]["EncryptionType"] == "KMS"
    kms.disable_key(KeyId=key)
    kinesis.stop_stream_encryption(StreamName="secret", EncryptionType="KMS", KeyId=key)
    nubis.advance(1)
    e = error_of(kinesis.start_stream_encryption, StreamName="secret", EncryptionType="KMS", KeyId=key)
    assert code(e) == "KMSDisabledException"


def test_enhanced_monitoring(kinesis, make_stream):
    make_stream("watched")
    out = kinesis.enable_enhanced_monitoring(StreamName="watched", ShardLevelMetrics=["IncomingBytes"])
    assert out["CurrentShardLevelMetrics"] == [] and out["DesiredShardLevelMetrics"] == ["IncomingBytes"]
    out = kinesis.enable_enhanced_monitoring(StreamName="watched", ShardLevelMetrics=["ALL"])
    assert len(out["DesiredShardLevelMetrics"]) == 7
    out = kinesis.disable_enhanced_monitoring(StreamName="watched", ShardLevelMetrics=["IncomingBytes"])
    assert "IncomingBytes" not in out["DesiredShardLevelMetrics"]
    d = kinesis.describe_stream(StreamName="watched")["StreamDescription"]
    assert d["EnhancedMonitoring"][0]["ShardLevelMetrics"] == out["DesiredShardLevelMetrics"]


def test_resource_policies(kinesis, make_stream):
    arn = make_stream("shared")
    policy = json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"AWS": "arn:aws:iam::111122223333:root"},
        "Action": "kinesis:GetRecords", "Resource": arn}]})
    kinesis.put_resource_policy(ResourceARN=arn, Policy=policy)
    assert kinesis.get_resource_policy(ResourceARN=arn)["Policy"] == policy
    kinesis.delete_resource_policy(ResourceARN=arn)
    assert kinesis.get_resource_policy(ResourceARN=arn)["Policy"] == "{}"
    assert code(error_of(kinesis.put_resource_policy, ResourceARN=arn, Policy="nope")) == "InvalidArgumentException"


def test_account_settings_and_limits(kinesis):
    assert kinesis.describe_account_settings()["MinimumThroughputBillingCommitment"]["Status"] == "DISABLED"
    out = kinesis.update_account_settings(MinimumThroughputBillingCommitment={"Status": "ENABLED"})
    assert out["MinimumThroughputBillingCommitment"]["Status"] == "ENABLED"
    limits = kinesis.describe_limits()
    assert limits["ShardLimit"] == 500 and limits["OnDemandStreamCountLimit"] == 50


def test_warm_throughput_of_on_demand_streams(kinesis, make_stream):
    arn = make_stream("warm", shards=None, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    out = kinesis.update_stream_warm_throughput(StreamARN=arn, WarmThroughputMiBps=50)
    assert out["WarmThroughput"]["TargetMiBps"] == 50
    s = kinesis.describe_stream_summary(StreamARN=arn)["StreamDescriptionSummary"]
    assert s["WarmThroughput"]["TargetMiBps"] == 50
    make_stream("cold")
    e = error_of(kinesis.update_stream_warm_throughput, StreamName="cold", WarmThroughputMiBps=50)
    assert code(e) == "ValidationException"
