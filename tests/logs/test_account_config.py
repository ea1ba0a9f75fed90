"""Resource policies and query definitions, stored and returned."""
import json

from .conftest import code, error_of

POLICY = json.dumps({"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": {"Service": "route53.amazonaws.com"},
    "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": "arn:aws:logs:*:*:log-group:*"}]})


def test_account_resource_policies(logs):
    put = logs.put_resource_policy(policyName="route53", policyDocument=POLICY)
    assert put["resourcePolicy"]["policyName"] == "route53" and put["resourcePolicy"]["policyScope"] == "ACCOUNT"
    [p] = logs.describe_resource_policies()["resourcePolicies"]
    assert p["policyDocument"] == POLICY and p["revisionId"] == put["revisionId"]
    logs.put_resource_policy(policyName="route53", policyDocument=POLICY.replace("route53", "events"))
    [p] = logs.describe_resource_policies()["resourcePolicies"]
    assert "events.amazonaws.com" in p["policyDocument"]
    assert code(error_of(logs.put_resource_policy, policyName="bad", policyDocument="{not json")) == \
        "InvalidParameterException"
    for i in range(9):
        logs.put_resource_policy(policyName=f"p{i}", policyDocument=POLICY)
    assert code(error_of(logs.put_resource_policy, policyName="eleventh", policyDocument=POLICY)) == \
        "LimitExceededException"
    logs.delete_resource_policy(policyName="route53")
    assert code(error_of(logs.delete_resource_policy, policyName="route53")) == "ResourceNotFoundException"


def test_log_group_resource_policy_with_revisions(logs):
    logs.create_log_group(logGroupName="g")
    arn = logs.describe_log_groups()["logGroups"][0]["logGroupArn"]
    first = logs.put_resource_policy(resourceArn=arn, policyDocument=POLICY)
    assert first["resourcePolicy"]["policyScope"] == "RESOURCE"
    e = error_of(logs.put_resource_policy, resourceArn=arn, policyDocument=POLICY, expectedRevisionId="stale")
    assert code(e) == "OperationAbortedException"
    second = logs.put_resource_policy(resourceArn=arn, policyDocument=POLICY, expectedRevisionId=first["revisionId"])
    [p] = logs.describe_resource_policies(resourceArn=arn)["resourcePolicies"]
    assert p["revisionId"] == second["revisionId"] and p["resourceArn"] == arn
    assert logs.describe_resource_policies(policyScope="ACCOUNT")["resourcePolicies"] == []
    logs.delete_resource_policy(resourceArn=arn, expectedRevisionId=second["revisionId"])
    assert logs.describe_resource_policies()["resourcePolicies"] == []


def test_query_definitions(logs):
    qid = logs.put_query_definition(name="errors/recent", queryString="fields @message | filter @message like /ERROR/",
                                    logGroupNames=["/app"])["queryDefinitionId"]
    logs.put_query_definition(name="slow", queryString="filter ms > 500")
    [d] = logs.describe_query_definitions(queryDefinitionNamePrefix="errors")["queryDefinitions"]
    assert (d["queryDefinitionId"], d["name"], d["logGroupNames"]) == (qid, "errors/recent", ["/app"])
    # An update replaces every value, log groups included.
    logs.put_query_definition(queryDefinitionId=qid, name="errors/all", queryString="filter @message like /ERROR/")
    [d] = logs.describe_query_definitions(queryDefinitionNamePrefix="errors")["queryDefinitions"]
    assert d["name"] == "errors/all" and d["logGroupNames"] == []
    e = error_of(logs.put_query_definition, queryDefinitionId="nope", name="x", queryString="fields @message")
    assert code(e) == "ResourceNotFoundException"
    assert logs.delete_query_definition(queryDefinitionId=qid)["success"] is True
    assert [d["name"] for d in logs.describe_query_definitions()["queryDefinitions"]] == ["slow"]
    assert code(error_of(logs.delete_query_definition, queryDefinitionId=qid)) == "ResourceNotFoundException"


def test_deleting_the_group_deletes_its_policy(logs):
    logs.create_log_group(logGroupName="g")
    arn = logs.describe_log_groups()["logGroups"][0]["logGroupArn"]
    logs.put_resource_policy(resourceArn=arn, policyDocument=POLICY)
    logs.delete_log_group(logGroupName="g")
    assert logs.describe_resource_policies()["resourcePolicies"] == []


def test_destinations(logs):
    target = "arn:aws:kinesis:us-east-1:000000000000:stream/central"
    made = logs.put_destination(destinationName="central", targetArn=target,
                                roleArn="arn:aws:iam::000000000000:role/cwl")["destination"]
    assert made["arn"] == "arn:aws:logs:us-east-1:000000000000:destination:central"
    assert made["targetArn"] == target and "accessPolicy" not in made
    logs.put_destination_policy(destinationName="central", accessPolicy=POLICY)
    logs.tag_resource(resourceArn=made["arn"], tags={"team": "core"})
    assert logs.list_tags_for_resource(resourceArn=made["arn"])["tags"] == {"team": "core"}
    [d] = logs.describe_destinations(DestinationNamePrefix="cen")["destinations"]
    assert d["accessPolicy"] == POLICY
    # A subscription may name it; a destination that does not exist is refused.
    logs.create_log_group(logGroupName="g")
    logs.put_subscription_filter(logGroupName="g", filterName="out", filterPattern="", destinationArn=made["arn"])
    e = error_of(logs.put_subscription_filter, logGroupName="g", filterName="out2", filterPattern="",
                 destinationArn=made["arn"].replace("central", "nowhere"))
    assert code(e) == "InvalidParameterException"
    e = error_of(logs.put_destination, destinationName="bad", targetArn="arn:aws:sqs:us-east-1:000000000000:q",
                 roleArn="arn:aws:iam::000000000000:role/cwl")
    assert code(e) == "InvalidParameterException"
    logs.delete_destination(destinationName="central")
    assert logs.describe_destinations()["destinations"] == []
    assert code(error_of(logs.delete_destination, destinationName="central")) == "ResourceNotFoundException"
