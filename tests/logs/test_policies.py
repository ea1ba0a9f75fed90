"""Account policies, log group data protection and field index policies, field indexes."""
import json

import pytest

from .conftest import code, error_of

DATA_PROTECTION = json.dumps({
    "Name": "data-protection", "Version": "2021-06-01",
    "Statement": [
        {"Sid": "audit", "DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],
         "Operation": {"Audit": {"FindingsDestination": {}}}},
        {"Sid": "redact", "DataIdentifier": ["arn:aws:dataprotection::aws:data-identifier/EmailAddress"],
         "Operation": {"Deidentify": {"MaskConfig": {}}}}]})
SUBSCRIPTION = json.dumps({"DestinationArn": "arn:aws:lambda:us-east-1:000000000000:function:f",
                           "FilterPattern": "ERROR", "Distribution": "Random"})
INDEX = json.dumps({"Fields": ["requestId"], "FieldsV2": {"status": {"type": "FACET"}}})


@pytest.fixture
def group(logs):
    logs.create_log_group(logGroupName="/app")
    return "/app"


def test_account_policies_by_type(logs):
    put = logs.put_account_policy(policyName="protect", policyDocument=DATA_PROTECTION,
                                  policyType="DATA_PROTECTION_POLICY")["accountPolicy"]
    assert (put["scope"], put["accountId"], put["policyType"]) == ("ALL", "000000000000", "DATA_PROTECTION_POLICY")
    # One account-level data protection policy; the same name updates it.
    e = error_of(logs.put_account_policy, policyName="second", policyDocument=DATA_PROTECTION,
                 policyType="DATA_PROTECTION_POLICY")
    assert code(e) == "LimitExceededException"
    logs.put_account_policy(policyName="protect", policyDocument=DATA_PROTECTION, policyType="DATA_PROTECTION_POLICY")
    logs.put_account_policy(policyName="subs", policyDocument=SUBSCRIPTION, policyType="SUBSCRIPTION_FILTER_POLICY",
                            selectionCriteria='LogGroupName NOT IN ["/loop"]')
    [p] = logs.describe_account_policies(policyType="SUBSCRIPTION_FILTER_POLICY")["accountPolicies"]
    assert p["policyName"] == "subs" and p["selectionCriteria"] == 'LogGroupName NOT IN ["/loop"]'
    assert [p["policyName"] for p in logs.describe_account_policies(
        policyType="DATA_PROTECTION_POLICY")["accountPolicies"]] == ["protect"]
    assert logs.describe_account_policies(policyType="DATA_PROTECTION_POLICY", policyName="nope")[
        "accountPolicies"] == []
    logs.delete_account_policy(policyName="protect", policyType="DATA_PROTECTION_POLICY")
    assert code(error_of(logs.delete_account_policy, policyName="protect",
                         policyType="DATA_PROTECTION_POLICY")) == "ResourceNotFoundException"


def test_account_policy_documents_are_checked(logs):
    def put(document, kind, **more):
        return code(error_of(logs.put_account_policy, policyName="p", policyDocument=document, policyType=kind,
                             **more))
    assert put("{not json", "TRANSFORMER_POLICY") == "InvalidParameterException"
    one_statement = json.loads(DATA_PROTECTION)
    one_statement["Statement"].pop()
    assert put(json.dumps(one_statement), "DATA_PROTECTION_POLICY") == "InvalidParameterException"
    mismatched = json.loads(DATA_PROTECTION)
    mismatched["Statement"][1]["DataIdentifier"] = ["arn:aws:dataprotection::aws:data-identifier/Address"]
    assert put(json.dumps(mismatched), "DATA_PROTECTION_POLICY") == "InvalidParameterException"
    assert put(json.dumps({"FilterPattern": "x"}), "SUBSCRIPTION_FILTER_POLICY") == "InvalidParameterException"
    assert put(json.dumps({"Fields": []}), "FIELD_INDEX_POLICY") == "InvalidParameterException"
    assert put(json.dumps({"Fields": ["a"], "FieldsV2": {"a": {"type": "FACET"}}}),
               "FIELD_INDEX_POLICY") == "InvalidParameterException"
    assert put(json.dumps({"transformerConfig": [{"addKeys": {"entries": [{"key": "a", "value": "b"}]}}]}),
               "TRANSFORMER_POLICY") == "InvalidParameterException"  # no parser
    # selectionCriteria per type.
    assert put(DATA_PROTECTION, "DATA_PROTECTION_POLICY", selectionCriteria='LogGroupName NOT IN []') == \
        "InvalidParameterException"
    assert put(SUBSCRIPTION, "SUBSCRIPTION_FILTER_POLICY", selectionCriteria='LogGroupNamePrefix IN ["a"]') == \
        "InvalidParameterException"
    assert code(error_of(logs.put_account_policy, policyName="aws/mine", policyDocument=SUBSCRIPTION,
                         policyType="SUBSCRIPTION_FILTER_POLICY")) == "InvalidParameterException"
    good = json.dumps({"transformerConfig": [{"parseJSON": {}}]})
    logs.put_account_policy(policyName="t1", policyDocument=good, policyType="TRANSFORMER_POLICY",
                            selectionCriteria='LogGroupNamePrefix IN ["my-log"]')
    # Overlapping prefixes of two transformer policies.
    assert code(error_of(logs.put_account_policy, policyName="t2", policyDocument=good,
                         policyType="TRANSFORMER_POLICY", selectionCriteria='LogGroupNamePrefix IN ["my-logging"]')) \
        == "InvalidParameterException"


def test_data_protection_policy_of_a_group(logs, group):
    out = logs.put_data_protection_policy(logGroupIdentifier=group, policyDocument=DATA_PROTECTION)
    assert out["logGroupIdentifier"] == group and out["policyDocument"] == DATA_PROTECTION
    got = logs.get_data_protection_policy(logGroupIdentifier=group)
    assert got["policyDocument"] == DATA_PROTECTION and got["lastUpdatedTime"] == out["lastUpdatedTime"]
    arn = "arn:aws:logs:us-east-1:000000000000:log-group:/app"
    assert logs.get_data_protection_policy(logGroupIdentifier=arn)["policyDocument"] == DATA_PROTECTION
    assert code(error_of(logs.put_data_protection_policy, logGroupIdentifier="/nope",
                         policyDocument=DATA_PROTECTION)) == "ResourceNotFoundException"
    assert code(error_of(logs.put_data_protection_policy, logGroupIdentifier=group,
                         policyDocument="{}")) == "InvalidParameterException"
    logs.delete_data_protection_policy(logGroupIdentifier=group)
    assert "policyDocument" not in logs.get_data_protection_policy(logGroupIdentifier=group)
    assert code(error_of(logs.delete_data_protection_policy, logGroupIdentifier=group)) == \
        "ResourceNotFoundException"
    # A group's policies go with it.
    logs.put_data_protection_policy(logGroupIdentifier=group, policyDocument=DATA_PROTECTION)
    logs.delete_log_group(logGroupName=group)
    logs.create_log_group(logGroupName=group)
    assert "policyDocument" not in logs.get_data_protection_policy(logGroupIdentifier=group)


def test_index_policies_and_field_indexes(logs, group, now_ms):
    # Without its own policy, a group reports the account-level one that applies to it.
    logs.put_account_policy(policyName="idx", policyDocument=json.dumps({"Fields": ["userId"]}),
                            policyType="FIELD_INDEX_POLICY", selectionCriteria='LogGroupNamePrefix IN ["/ap"]')
    [p] = logs.describe_index_policies(logGroupIdentifiers=[group])["indexPolicies"]
    assert (p["source"], p["policyName"]) == ("ACCOUNT", "idx")
    out = logs.put_index_policy(logGroupIdentifier=group, policyDocument=INDEX)["indexPolicy"]
    assert out["source"] == "LOG_GROUP" and out["policyDocument"] == INDEX
    [p] = logs.describe_index_policies(logGroupIdentifiers=[group])["indexPolicies"]
    assert p["source"] == "LOG_GROUP" and p["logGroupIdentifier"] == group
    assert code(error_of(logs.put_index_policy, logGroupIdentifier=group,
                         policyDocument=json.dumps({"Fields": [f"f{i}" for i in range(21)]}))) == \
        "LimitExceededException"
    logs.create_log_stream(logGroupName=group, logStreamName="s")
    t = now_ms()
    logs.put_log_events(logGroupName=group, logStreamName="s", logEvents=[
        {"timestamp": t - 10, "message": json.dumps({"requestId": "a"})},
        {"timestamp": t - 5, "message": json.dumps({"requestId": "b", "status": 200})},
        {"timestamp": t, "message": "plain text"}])
    indexes = {i["fieldIndexName"]: i for i in logs.describe_field_indexes(
        logGroupIdentifiers=[group])["fieldIndexes"]}
    assert (indexes["requestId"]["firstEventTime"], indexes["requestId"]["lastEventTime"]) == (t - 10, t - 5)
    assert indexes["status"]["type"] == "FACET" and indexes["status"]["firstEventTime"] == t - 5
    assert "@logStream" in indexes and "userId" not in indexes
    logs.delete_index_policy(logGroupIdentifier=group)
    [p] = logs.describe_index_policies(logGroupIdentifiers=[group])["indexPolicies"]
    assert p["source"] == "ACCOUNT"
    assert code(error_of(logs.delete_index_policy, logGroupIdentifier=group)) == "ResourceNotFoundException"
    logs.create_log_group(logGroupName="/ia", logGroupClass="INFREQUENT_ACCESS")
    assert code(error_of(logs.put_index_policy, logGroupIdentifier="/ia", policyDocument=INDEX)) == \
        "InvalidParameterException"
