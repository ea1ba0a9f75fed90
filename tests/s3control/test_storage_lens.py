"""S3 Storage Lens configurations and groups through boto3's s3control client."""
from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from .conftest import ACCOUNT


def error(exc_info) -> tuple[str, int]:
    e = exc_info.value.response
    return e["Error"]["Code"], e["ResponseMetadata"]["HTTPStatusCode"]


def lens_config(config_id: str = "dash", **more) -> dict:
    config = {"Id": config_id, "IsEnabled": True,
              "AccountLevel": {"ActivityMetrics": {"IsEnabled": True},
                               "BucketLevel": {"ActivityMetrics": {"IsEnabled": True},
                                               "PrefixLevel": {"StorageMetrics": {
                                                   "IsEnabled": True,
                                                   "SelectionCriteria": {"Delimiter": "/", "MaxDepth": 3,
                                                                         "MinStorageBytesPercentage": 1.5}}}}}}
    config.update(more)
    return config


GROUP_FILTER = {"And": {"MatchAnyPrefix": ["logs/"], "MatchObjectSize": {"BytesGreaterThan": 1024}}}


def test_put_get_list_delete_a_configuration(control):
    export = {"S3BucketDestination": {"Format": "CSV", "OutputSchemaVersion": "V_1", "AccountId": ACCOUNT,
                                      "Arn": "arn:aws:s3:::lens-exports", "Prefix": "daily",
                                      "Encryption": {"SSES3": {}}}}
    config = lens_config(Include={"Buckets": ["arn:aws:s3:::one", "arn:aws:s3:::two"]}, DataExport=export)
    control.put_storage_lens_configuration(AccountId=ACCOUNT, ConfigId="dash", StorageLensConfiguration=config)
    got = control.get_storage_lens_configuration(AccountId=ACCOUNT, ConfigId="dash")["StorageLensConfiguration"]
    assert got["StorageLensArn"] == f"arn:aws:s3:us-east-1:{ACCOUNT}:storage-lens/dash"
    assert got["Include"] == config["Include"] and got["DataExport"]["S3BucketDestination"]["Prefix"] == "daily"
    criteria = got["AccountLevel"]["BucketLevel"]["PrefixLevel"]["StorageMetrics"]["SelectionCriteria"]
    assert criteria == {"Delimiter": "/", "MaxDepth": 3, "MinStorageBytesPercentage": 1.5}
    assert got["IsEnabled"] is True

    # Put again replaces it.
    control.put_storage_lens_configuration(AccountId=ACCOUNT, ConfigId="dash",
                                           StorageLensConfiguration=lens_config(IsEnabled=False))
    control.put_storage_lens_configuration(AccountId=ACCOUNT, ConfigId="other",
                                           StorageLensConfiguration=lens_config("other"))
    listed = control.list_storage_lens_configurations(AccountId=ACCOUNT)["StorageLensConfigurationList"]
    assert [(c["Id"], c["HomeRegion"], c["IsEnabled"]) for c in listed] == [("dash", "us-east-1", False),
                                                                            ("other", "us-east-1", True)]
    assert "Include" not in control.get_storage_lens_configuration(
        AccountId=ACCOUNT, ConfigId="dash")["StorageLensConfiguration"]

    control.delete_storage_lens_configuration(AccountId=ACCOUNT, ConfigId="dash")
    with pytest.raises(ClientError) as e:
        control.get_storage_lens_configuration(AccountId=ACCOUNT, ConfigId="dash")
    assert error(e) == ("NoSuchConfiguration", 404)
    with pytest.raises(ClientError) as e:
        control.delete_storage_lens_configuration(AccountId=ACCOUNT, ConfigId="dash")
    assert error(e) == ("NoSuchConfiguration", 404)


@pytest.mark.parametrize("config, code", [
    (lens_config("elsewhere"), "InvalidConfigId"),  # the body's Id is not the URI's
    (lens_config(Include={"Buckets": ["arn:aws:s3:::a"]}, Exclude={"Buckets": ["arn:aws:s3:::b"]}),
     "InvalidIncludeExcludeContainers"),
    (lens_config(Include={"Buckets": ["not-an-arn"]}), "InvalidDestination"),
    (lens_config(Include={"Buckets": []}), "EmptyIncludeContainer"),
    (lens_config(Exclude={"Regions": ["Not A Region"]}), "InvalidRegionName"),
    (lens_config(Include={"Buckets": [f"arn:aws:s3:::b{i}" for i in range(51)]}), "TooManyBuckets"),
    (lens_config(DataExport={"S3BucketDestination": {"Format": "CSV", "OutputSchemaVersion": "V_1",
                                                     "AccountId": ACCOUNT, "Arn": "arn:aws:s3:::exports",
                                                     "Encryption": {"SSES3": {}, "SSEKMS": {"KeyId": "k"}}}}),
     "InvalidEncryptionMethod"),
    (lens_config(AccountLevel={"ActivityMetrics": {"IsEnabled": False},
                               "BucketLevel": {"ActivityMetrics": {"IsEnabled": True}}}),
     "MissingAccountLevelActivityMetrics"),
    (lens_config(AccountLevel={"BucketLevel": {"PrefixLevel": {"StorageMetrics": {
        "IsEnabled": True, "SelectionCriteria": {"MaxDepth": 11}}}}}), "InvalidMaximumPrefixDepth"),
    (lens_config(AccountLevel={"BucketLevel": {"PrefixLevel": {"StorageMetrics": {"IsEnabled": False}}}}),
     "StorageMetricsMustEnabled"),
    (lens_config(AccountLevel={"BucketLevel": {}, "StorageLensGroupLevel": {"SelectionCriteria": {
        "Include": [f"arn:aws:s3:us-east-1:{ACCOUNT}:storage-lens-group/a"] * 2}}}), "DuplicateStorageLensGroupARN"),
    (lens_config(AwsOrg={"Arn": "arn:aws:organizations::123:organization/x"}), "InvalidAWSOrgArn"),
])
def test_invalid_configurations_are_refused(control, config, code):
    with pytest.raises(ClientError) as e:
        control.put_storage_lens_configuration(AccountId=ACCOUNT, ConfigId="dash", StorageLensConfiguration=config)
    assert error(e) == (code, 400)
    assert control.list_storage_lens_configurations(AccountId=ACCOUNT).get("StorageLensConfigurationList", []) == []


def test_configuration_tagging(control):
    control.put_storage_lens_configuration(AccountId=ACCOUNT, ConfigId="dash", StorageLensConfiguration=lens_config(),
                                           Tags=[{"Key": "team", "Value": "data"}])
    assert control.get_storage_lens_configuration_tagging(AccountId=ACCOUNT, ConfigId="dash")["Tags"] == [
        {"Key": "team", "Value": "data"}]
    # PutStorageLensConfigurationTagging replaces the whole set.
    control.put_storage_lens_configuration_tagging(AccountId=ACCOUNT, ConfigId="dash",
                                                   Tags=[{"Key": "a", "Value": "1"}, {"Key": "b", "Value": "2"}])
    assert [t["Key"] for t in control.get_storage_lens_configuration_tagging(
        AccountId=ACCOUNT, ConfigId="dash")["Tags"]] == ["a", "b"]
    # A Put of the configuration without Tags keeps them.
    control.put_storage_lens_configuration(AccountId=ACCOUNT, ConfigId="dash", StorageLensConfiguration=lens_config())
    assert len(control.get_storage_lens_configuration_tagging(AccountId=ACCOUNT, ConfigId="dash")["Tags"]) == 2
    control.delete_storage_lens_configuration_tagging(AccountId=ACCOUNT, ConfigId="dash")
    assert control.get_storage_lens_configuration_tagging(AccountId=ACCOUNT, ConfigId="dash").get("Tags", []) == []
    with pytest.raises(ClientError) as e:
        control.put_storage_lens_configuration_tagging(AccountId=ACCOUNT, ConfigId="dash",
                                                       Tags=[{"Key": "aws:x", "Value": "1"}])
    assert error(e) == ("InvalidTag", 400)
    with pytest.raises(ClientError) as e:
        control.get_storage_lens_configuration_tagging(AccountId=ACCOUNT, ConfigId="nope")
    assert error(e) == ("NoSuchConfiguration", 404)


def test_storage_lens_groups(control):
    control.create_storage_lens_group(AccountId=ACCOUNT, StorageLensGroup={"Name": "big-logs", "Filter": GROUP_FILTER},
                                      Tags=[{"Key": "k", "Value": "v"}])
    got = control.get_storage_lens_group(AccountId=ACCOUNT, Name="big-logs")["StorageLensGroup"]
    arn = f"arn:aws:s3:us-east-1:{ACCOUNT}:storage-lens-group/big-logs"
    assert got == {"Name": "big-logs", "Filter": GROUP_FILTER, "StorageLensGroupArn": arn}
    with pytest.raises(ClientError) as e:
        control.create_storage_lens_group(AccountId=ACCOUNT, StorageLensGroup={"Name": "big-logs",
                                                                               "Filter": GROUP_FILTER})
    assert error(e) == ("ConfigurationAlreadyExists", 409)
    with pytest.raises(ClientError) as e:
        control.update_storage_lens_group(AccountId=ACCOUNT, Name="big-logs", StorageLensGroup={
            "Name": "other", "Filter": GROUP_FILTER})
    assert error(e) == ("MismatchedName", 400)

    control.update_storage_lens_group(AccountId=ACCOUNT, Name="big-logs", StorageLensGroup={
        "Name": "big-logs", "Filter": {"MatchAnySuffix": [".gz"]}})
    assert control.get_storage_lens_group(AccountId=ACCOUNT, Name="big-logs")["StorageLensGroup"]["Filter"] == {
        "MatchAnySuffix": [".gz"]}
    control.create_storage_lens_group(AccountId=ACCOUNT, StorageLensGroup={
        "Name": "old", "Filter": {"MatchObjectAge": {"DaysGreaterThan": 30}}})
    listed = control.list_storage_lens_groups(AccountId=ACCOUNT)["StorageLensGroupList"]
    assert [(g["Name"], g["HomeRegion"], g["StorageLensGroupArn"]) for g in listed] == [
        ("big-logs", "us-east-1", arn), ("old", "us-east-1", arn.replace("big-logs", "old"))]

    # Tags of a group go through TagResource and its siblings.
    assert control.list_tags_for_resource(AccountId=ACCOUNT, ResourceArn=arn)["Tags"] == [{"Key": "k", "Value": "v"}]
    control.tag_resource(AccountId=ACCOUNT, ResourceArn=arn, Tags=[{"Key": "k", "Value": "w"},
                                                                   {"Key": "x", "Value": "y"}])
    control.untag_resource(AccountId=ACCOUNT, ResourceArn=arn, TagKeys=["x"])
    assert control.list_tags_for_resource(AccountId=ACCOUNT, ResourceArn=arn)["Tags"] == [{"Key": "k", "Value": "w"}]

    control.delete_storage_lens_group(AccountId=ACCOUNT, Name="big-logs")
    for call in (lambda: control.get_storage_lens_group(AccountId=ACCOUNT, Name="big-logs"),
                 lambda: control.delete_storage_lens_group(AccountId=ACCOUNT, Name="big-logs"),
                 lambda: control.list_tags_for_resource(AccountId=ACCOUNT, ResourceArn=arn)):
        with pytest.raises(ClientError) as e:
            call()
        assert error(e) == ("NoSuchStorageLensGroup", 404)


@pytest.mark.parametrize("flt, code", [
    ({"MatchAnyPrefix": ["a/"], "MatchAnySuffix": [".b"]}, "InvalidFilter"),  # two conditions need And or Or
    ({}, "InvalidFilter"),
    ({"Or": {"MatchAnyPrefix": ["a/"]}}, "InvalidLogicalOperator"),  # an operator of one condition
    ({"MatchObjectAge": {"DaysGreaterThan": 10, "DaysLessThan": 5}}, "InvalidNumericCombination"),
    ({"MatchObjectAge": {}}, "InvalidMatchObjectAge"),
    ({"MatchObjectSize": {"BytesGreaterThan": 0}}, "InvalidSize"),
    ({"MatchAnyPrefix": []}, "InvalidMatchAnyPrefix"),
    ({"MatchAnySuffix": ["x" * 1025]}, "InvalidSuffix"),
    ({"MatchAnyPrefix": ["a", "a"]}, "DuplicateElement"),
    ({"MatchAnyPrefix": [f"p{i}" for i in range(11)]}, "TooManyElements"),
    ({"And": {"MatchAnyTag": [{"Key": "k", "Value": "1"}, {"Key": "k", "Value": "2"}], "MatchAnyPrefix": ["a"]}},
     "DuplicateElement"),
])
def test_invalid_group_filters_are_refused(control, flt, code):
    with pytest.raises(ClientError) as e:
        control.create_storage_lens_group(AccountId=ACCOUNT, StorageLensGroup={"Name": "g", "Filter": flt})
    assert error(e) == (code, 400)
    assert control.list_storage_lens_groups(AccountId=ACCOUNT).get("StorageLensGroupList", []) == []


def test_group_names_are_checked(control):
    with pytest.raises(ClientError) as e:
        control.create_storage_lens_group(AccountId=ACCOUNT, StorageLensGroup={
            "Name": "bad name", "Filter": {"MatchAnyPrefix": ["a"]}})
    assert error(e) == ("InvalidName", 400)
