"""Event buses, rules, targets, permissions and tags: the control plane."""
import json

from .conftest import ACCOUNT, OTHER, code, error_of, make_queue


def test_default_bus_is_always_there(events):
    bus = events.describe_event_bus()
    assert bus["Name"] == "default"
    assert bus["Arn"] == f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default"
    assert [b["Name"] for b in events.list_event_buses()["EventBuses"]] == ["default"]
    assert code(error_of(events.delete_event_bus, Name="default")) == "ValidationException"


def test_custom_bus_lifecycle(events):
    out = events.create_event_bus(Name="orders", Description="the orders", KmsKeyIdentifier="alias/k",
                                  DeadLetterConfig={"Arn": "arn:aws:sqs:us-east-1:000000000000:dlq"},
                                  Tags=[{"Key": "team", "Value": "a"}])
    arn = out["EventBusArn"]
    assert arn.endswith(":event-bus/orders") and out["Description"] == "the orders"
    e = error_of(events.create_event_bus, Name="orders")
    assert code(e) == "ResourceAlreadyExistsException"
    bus = events.describe_event_bus(Name="orders")
    assert bus["KmsKeyIdentifier"] == "alias/k" and bus["DeadLetterConfig"]["Arn"].endswith(":dlq")
    assert events.describe_event_bus(Name=arn)["Name"] == "orders"
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "team", "Value": "a"}]
    updated = events.update_event_bus(Name="orders", Description="new")
    assert updated["Description"] == "new" and updated["Arn"] == arn
    events.delete_event_bus(Name="orders")
    e = error_of(events.describe_event_bus, Name="orders")
    assert code(e) == "ResourceNotFoundException" and e.response["Error"]["Message"] == "Event bus orders does not exist."
    events.delete_event_bus(Name="orders")  # idempotent


def test_list_buses_prefix_and_paging(events):
    for i in range(5):
        events.create_event_bus(Name=f"bus-{i}")
    events.create_event_bus(Name="other")
    page = events.list_event_buses(NamePrefix="bus-", Limit=2)
    names = [b["Name"] for b in page["EventBuses"]]
    while "NextToken" in page:
        page = events.list_event_buses(NamePrefix="bus-", Limit=2, NextToken=page["NextToken"])
        names += [b["Name"] for b in page["EventBuses"]]
    assert names == [f"bus-{i}" for i in range(5)]


def test_rule_lifecycle(events, sqs):
    arn = events.put_rule(Name="r", EventPattern='{"source": ["my.app"]}', Description="d",
                          Tags=[{"Key": "k", "Value": "v"}])["RuleArn"]
    assert arn == f"arn:aws:events:us-east-1:{ACCOUNT}:rule/r"
    rule = events.describe_rule(Name="r")
    assert rule["State"] == "ENABLED" and rule["EventBusName"] == "default" and rule["Description"] == "d"
    assert json.loads(rule["EventPattern"]) == {"source": ["my.app"]}
    events.disable_rule(Name="r")
    assert events.describe_rule(Name="r")["State"] == "DISABLED"
    events.enable_rule(Name="r")
    assert events.describe_rule(Name="r")["State"] == "ENABLED"
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "k", "Value": "v"}]
    events.tag_resource(ResourceARN=arn, Tags=[{"Key": "x", "Value": "y"}])
    events.untag_resource(ResourceARN=arn, TagKeys=["k"])
    assert events.list_tags_for_resource(ResourceARN=arn)["Tags"] == [{"Key": "x", "Value": "y"}]

    _, qarn = make_queue(sqs, "q")
    events.put_targets(Rule="r", Targets=[{"Id": "t1", "Arn": qarn}])
    e = error_of(events.delete_rule, Name="r")
    assert code(e) == "ValidationException" and "targets" in e.response["Error"]["Message"]
    events.remove_targets(Rule="r", Ids=["t1"])
    events.delete_rule(Name="r")
    e = error_of(events.describe_rule, Name="r")
    assert code(e) == "ResourceNotFoundException"
    assert e.response["Error"]["Message"] == "Rule r does not exist on EventBus default."


def test_rule_on_custom_bus(events):
    events.create_event_bus(Name="b")
    arn = events.put_rule(Name="r", EventBusName="b", EventPattern='{"source": ["x"]}')["RuleArn"]
    assert arn.endswith(":rule/b/r")
    assert [r["Name"] for r in events.list_rules(EventBusName="b")["Rules"]] == ["r"]
    assert events.list_rules()["Rules"] == []
    e = error_of(events.put_rule, Name="s", EventBusName="b", ScheduleExpression="rate(1 minute)")
    assert code(e) == "ValidationException"
    assert code(error_of(events.put_rule, Name="r", EventBusName="nope", EventPattern="{}")) == \
        "ResourceNotFoundException"


def test_put_rule_validation(events):
    e = error_of(events.put_rule, Name="r")
    assert code(e) == "ValidationException"
    assert e.response["Error"]["Message"] == "Parameter(s) EventPattern or ScheduleExpression must be specified."
    e = error_of(events.put_rule, Name="r", EventPattern='{"source": "not-a-list"}')
    assert code(e) == "InvalidEventPatternException"
    assert e.response["Error"]["Message"].startswith("Event pattern is not valid. Reason: ")
    e = error_of(events.put_rule, Name="r", EventPattern="not json")
    assert code(e) == "InvalidEventPatternException"
    e = error_of(events.put_rule, Name="r", ScheduleExpression="rate(1 minutes)")
    assert code(e) == "ValidationException"
    assert e.response["Error"]["Message"] == "Parameter ScheduleExpression is not valid."
    e = error_of(events.put_rule, Name="bad name", EventPattern='{"source": ["x"]}')
    assert code(e) == "ValidationException"


def test_list_rules_prefix_paging_and_by_target(events, sqs):
    _, qarn = make_queue(sqs, "q")
    for i in range(5):
        events.put_rule(Name=f"rule-{i}", EventPattern='{"source": ["x"]}')
        if i % 2 == 0:
            events.put_targets(Rule=f"rule-{i}", Targets=[{"Id": "t", "Arn": qarn}])
    events.put_rule(Name="zzz", EventPattern='{"source": ["x"]}')
    page = events.list_rules(NamePrefix="rule-", Limit=2)
    names = [r["Name"] for r in page["Rules"]]
    while "NextToken" in page:
        page = events.list_rules(NamePrefix="rule-", Limit=2, NextToken=page["NextToken"])
        names += [r["Name"] for r in page["Rules"]]
    assert names == [f"rule-{i}" for i in range(5)]
    assert events.list_rule_names_by_target(TargetArn=qarn)["RuleNames"] == ["rule-0", "rule-2", "rule-4"]
    page = events.list_rule_names_by_target(TargetArn=qarn, Limit=2)
    assert page["RuleNames"] == ["rule-0", "rule-2"]
    assert events.list_rule_names_by_target(TargetArn=qarn, NextToken=page["NextToken"])["RuleNames"] == ["rule-4"]


def test_targets_limit_failed_entries_and_paging(events, sqs):
    events.put_rule(Name="r", EventPattern='{"source": ["x"]}')
    _, qarn = make_queue(sqs, "q")
    out = events.put_targets(Rule="r", Targets=[{"Id": f"t{i}", "Arn": qarn} for i in range(5)])
    assert out["FailedEntryCount"] == 0 and out["FailedEntries"] == []
    e = error_of(events.put_targets, Rule="r", Targets=[{"Id": "t5", "Arn": qarn}])
    assert code(e) == "LimitExceededException"
    # Replacing an existing target is not a new one.
    events.put_targets(Rule="r", Targets=[{"Id": "t0", "Arn": qarn, "Input": '{"a": 1}'}])
    page = events.list_targets_by_rule(Rule="r", Limit=3)
    ids = [t["Id"] for t in page["Targets"]]
    page = events.list_targets_by_rule(Rule="r", Limit=3, NextToken=page["NextToken"])
    ids += [t["Id"] for t in page["Targets"]]
    assert ids == [f"t{i}" for i in range(5)] and "NextToken" not in page
    assert events.list_targets_by_rule(Rule="r")["Targets"][0]["Input"] == '{"a": 1}'
    events.remove_targets(Rule="r", Ids=[f"t{i}" for i in range(5)])
    out = events.put_targets(Rule="r", Targets=[
        {"Id": "ok", "Arn": qarn},
        {"Id": "bad", "Arn": qarn, "Input": "{not json"},
        {"Id": "both", "Arn": qarn, "Input": "{}", "InputPath": "$.detail"},
        {"Id": "arn", "Arn": "not-an-arn"},
    ])
    assert out["FailedEntryCount"] == 3
    assert [f["TargetId"] for f in out["FailedEntries"]] == ["bad", "both", "arn"]
    assert [t["Id"] for t in events.list_targets_by_rule(Rule="r")["Targets"]] == ["ok"]
    assert code(error_of(events.put_targets, Rule="nope", Targets=[{"Id": "a", "Arn": qarn}])) == \
        "ResourceNotFoundException"


def test_permissions_build_the_bus_policy(events):
    events.put_permission(Action="events:PutEvents", Principal=OTHER, StatementId="other")
    events.put_permission(Action="events:PutEvents", Principal="*", StatementId="org",
                          Condition={"Type": "StringEquals", "Key": "aws:PrincipalOrgID", "Value": "o-123"})
    policy = json.loads(events.describe_event_bus()["Policy"])
    sids = {s["Sid"]: s for s in policy["Statement"]}
    assert sids["other"]["Principal"] == {"AWS": f"arn:aws:iam::{OTHER}:root"}
    assert sids["other"]["Action"] == "events:PutEvents"
    assert sids["org"]["Condition"] == {"StringEquals": {"aws:PrincipalOrgID": "o-123"}}
    events.remove_permission(StatementId="other")
    assert [s["Sid"] for s in json.loads(events.describe_event_bus()["Policy"])["Statement"]] == ["org"]
    assert code(error_of(events.remove_permission, StatementId="other")) == "ResourceNotFoundException"
    events.remove_permission(RemoveAllPermissions=True)
    assert "Policy" not in events.describe_event_bus()
    doc = {"Version": "2012-10-17", "Statement": [{"Sid": "all", "Effect": "Allow", "Principal": "*",
                                                   "Action": "events:PutEvents", "Resource": "*"}]}
    events.put_permission(Policy=json.dumps(doc))
    assert json.loads(events.describe_event_bus()["Policy"]) == doc


def test_endpoints_connections_and_api_destinations_are_stored(events):
    c = events.create_connection(Name="c", AuthorizationType="API_KEY",
                                 AuthParameters={"ApiKeyAuthParameters": {"ApiKeyName": "x-key", "ApiKeyValue": "s3cr3t"}})
    assert c["ConnectionState"] == "AUTHORIZED"
    d = events.describe_connection(Name="c")
    assert d["AuthParameters"] == {"ApiKeyAuthParameters": {"ApiKeyName": "x-key"}}
    assert d["SecretArn"].startswith(f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:events!connection/c/")
    assert "s3cr3t" not in json.dumps(d, default=str)
    assert code(error_of(events.create_connection, Name="c", AuthorizationType="BASIC",
                         AuthParameters={"BasicAuthParameters": {"Username": "u", "Password": "p"}})) == \
        "ResourceAlreadyExistsException"
    a = events.create_api_destination(Name="d", ConnectionArn=c["ConnectionArn"], HttpMethod="POST",
                                      InvocationEndpoint="https://example.com/hook", InvocationRateLimitPerSecond=10)
    assert a["ApiDestinationState"] == "ACTIVE"
    got = events.describe_api_destination(Name="d")
    assert got["InvocationEndpoint"] == "https://example.com/hook" and got["InvocationRateLimitPerSecond"] == 10
    assert [x["Name"] for x in events.list_api_destinations()["ApiDestinations"]] == ["d"]
    assert [x["Name"] for x in events.list_connections()["Connections"]] == ["c"]
    e = error_of(events.create_api_destination, Name="e", ConnectionArn=c["ConnectionArn"] + "x", HttpMethod="POST",
                 InvocationEndpoint="https://example.com")
    assert code(e) == "ResourceNotFoundException"
    events.delete_api_destination(Name="d")
    events.delete_connection(Name="c")
    assert code(error_of(events.describe_connection, Name="c")) == "ResourceNotFoundException"

    ep = events.create_endpoint(Name="ep", RoutingConfig={"FailoverConfig": {
        "Primary": {"HealthCheck": "arn:aws:route53:::healthcheck/x"}, "Secondary": {"Route": "us-west-2"}}},
        EventBuses=[{"EventBusArn": f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default"},
                    {"EventBusArn": f"arn:aws:events:us-west-2:{ACCOUNT}:event-bus/default"}])
    assert ep["State"] == "ACTIVE"
    assert events.describe_endpoint(Name="ep")["EndpointUrl"].startswith("https://")
    assert [x["Name"] for x in events.list_endpoints()["Endpoints"]] == ["ep"]
    events.delete_endpoint(Name="ep")
    assert code(error_of(events.describe_endpoint, Name="ep")) == "ResourceNotFoundException"


def test_partner_event_sources(aws_client, sqs):
    from botocore.config import Config
    partner = aws_client("events", aws_access_key_id="222222222222", aws_secret_access_key="x")
    customer = aws_client("events", config=Config(retries={"max_attempts": 1}))
    name = "aws.partner/saas.com/123/orders"
    partner.create_partner_event_source(Name=name, Account=ACCOUNT)
    assert [s["Name"] for s in customer.list_event_sources()["EventSources"]] == [name]
    assert customer.describe_event_source(Name=name)["State"] == "PENDING"
    customer.create_event_bus(Name=name, EventSourceName=name)
    assert customer.describe_event_source(Name=name)["State"] == "ACTIVE"
    url, qarn = make_queue(sqs, "partner")
    customer.put_rule(Name="p", EventBusName=name, EventPattern=json.dumps({"source": [name]}))
    customer.put_targets(Rule="p", EventBusName=name, Targets=[{"Id": "q", "Arn": qarn}])
    out = partner.put_partner_events(Entries=[{"Source": name, "DetailType": "Order", "Detail": '{"n": 1}'}])
    assert out["FailedEntryCount"] == 0
    from .conftest import bodies, receive
    (event,) = bodies(receive(sqs, url))
    assert event["source"] == name and event["account"] == ACCOUNT and event["detail"] == {"n": 1}
    accounts = partner.list_partner_event_source_accounts(EventSourceName=name)["PartnerEventSourceAccounts"]
    assert [a["Account"] for a in accounts] == [ACCOUNT]


def test_model_constraints_are_validation_errors(aws_client):
    from botocore.config import Config
    raw = aws_client("events", config=Config(parameter_validation=False, retries={"max_attempts": 1}))
    e = error_of(raw.describe_rule)
    assert code(e) == "ValidationException" and e.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert e.response["Error"]["Message"] == ("1 validation error detected: Value null at 'name' failed to satisfy "
                                              "constraint: Member must not be null")
    e = error_of(raw.put_rule, Name="x" * 65, EventPattern='{"source": ["a"]}')
    assert code(e) == "ValidationException" and "length less than or equal to 64" in e.response["Error"]["Message"]
    e = error_of(raw.put_rule, Name="r", EventPattern='{"source": ["a"]}', State="SOMETIMES")
    assert code(e) == "ValidationException" and "enum value set" in e.response["Error"]["Message"]
    e = error_of(raw.put_events, Entries=[])
    assert code(e) == "ValidationException"
    e = error_of(raw.put_targets, Rule="r", Targets=[{"Id": "a"}])
    assert code(e) == "ValidationException"


def test_global_endpoint_replicates_to_its_other_region(events, aws_client, sqs):
    from .conftest import bodies, make_queue, receive
    west_events = aws_client("events", region="us-west-2")
    west_sqs = aws_client("sqs", region="us-west-2")
    url, arn = make_queue(west_sqs, "replicas")
    west_events.put_rule(Name="r", EventPattern='{"source": ["my.app"]}')
    west_events.put_targets(Rule="r", Targets=[{"Id": "q", "Arn": arn}])
    ep = events.create_endpoint(Name="ep", RoutingConfig={"FailoverConfig": {
        "Primary": {"HealthCheck": "arn:aws:route53:::healthcheck/x"}, "Secondary": {"Route": "us-west-2"}}},
        EventBuses=[{"EventBusArn": f"arn:aws:events:us-east-1:{ACCOUNT}:event-bus/default"},
                    {"EventBusArn": f"arn:aws:events:us-west-2:{ACCOUNT}:event-bus/default"}])
    endpoint_id = events.describe_endpoint(Name=ep["Name"])["EndpointId"]
    out = events.put_events(EndpointId=endpoint_id, Entries=[{"Source": "my.app", "DetailType": "d", "Detail": "{}"}])
    (event,) = bodies(receive(west_sqs, url))
    assert event["id"] == out["Entries"][0]["EventId"] and event["region"] == "us-west-2"
    e = error_of(events.put_events, EndpointId="nope.x", Entries=[{"Source": "my.app", "DetailType": "d", "Detail": "{}"}])
    assert code(e) == "ResourceNotFoundException"


def test_deleting_a_bus_deletes_its_rules(events, sqs):
    _, qarn = make_queue(sqs, "q")
    events.create_event_bus(Name="b")
    events.put_rule(Name="r", EventBusName="b", EventPattern='{"source": ["x"]}')
    events.put_targets(Rule="r", EventBusName="b", Targets=[{"Id": "q", "Arn": qarn}])
    events.delete_event_bus(Name="b")
    events.create_event_bus(Name="b")
    assert events.list_rules(EventBusName="b")["Rules"] == []
    assert events.list_rule_names_by_target(TargetArn=qarn, EventBusName="b")["RuleNames"] == []
