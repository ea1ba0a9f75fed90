"""IAM users' identity policies (and resource policies) on the services whose
authorization is a table (auth/action_data/): each operation is its IAM action on
its resource ARN, a denial is the service's own access-denied error."""
from __future__ import annotations

import pytest

from nubis.testing.policies import allow, deny, doc

from .conftest import OTHER, OWNER, error_of

USER = f"arn:aws:iam::{OWNER}:user/dev"
REGION = "us-east-1"


@pytest.fixture
def user(client):
    """user(name, *statements, boundary=None) -> (key, secret) of a new IAM user with an inline policy."""
    iam = client("iam")

    def make(name: str, *statements, boundary: str | None = None):
        iam.create_user(UserName=name)
        if statements:
            iam.put_user_policy(UserName=name, PolicyName="inline", PolicyDocument=doc(*statements))
        if boundary is not None:
            arn = iam.create_policy(PolicyName=f"{name}-boundary", PolicyDocument=boundary)["Policy"]["Arn"]
            iam.put_user_permissions_boundary(UserName=name, PermissionsBoundary=arn)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        return key["AccessKeyId"], key["SecretAccessKey"]
    return make


def as_user(client, service: str, key) -> object:
    return client(service, key=key[0], secret=key[1])


def denied(action: str, resource: str, who: str = USER) -> str:
    return (f"User: {who} is not authorized to perform: {action} on resource: {resource} "
            f"because no identity-based policy allows the {action} action")


def _table(ddb, name="notes"):
    ddb.create_table(TableName=name, KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     BillingMode="PAY_PER_REQUEST")


def test_dynamodb_actions_on_tables(client, user):
    ddb = client("dynamodb")
    _table(ddb)
    _table(ddb, "other")
    arn = f"arn:aws:dynamodb:{REGION}:{OWNER}:table/notes"
    mine = as_user(client, "dynamodb", user("dev", allow(["dynamodb:GetItem", "dynamodb:PutItem"], arn)))
    mine.put_item(TableName="notes", Item={"pk": {"S": "a"}})
    assert mine.get_item(TableName="notes", Key={"pk": {"S": "a"}})["Item"] == {"pk": {"S": "a"}}
    e = error_of(mine.delete_item, TableName="notes", Key={"pk": {"S": "a"}})
    assert (e["Code"], e["Status"]) == ("AccessDeniedException", 400)
    assert e["Message"] == denied("dynamodb:DeleteItem", arn)
    e = error_of(mine.put_item, TableName="other", Item={"pk": {"S": "a"}})
    assert e["Message"] == denied("dynamodb:PutItem", arn.replace("notes", "other"))
    assert error_of(mine.list_tables)["Message"] == denied("dynamodb:ListTables", "*")
    # A table given by its ARN is the same resource.
    mine.get_item(TableName=arn, Key={"pk": {"S": "a"}})


def test_dynamodb_batches_are_checked_per_table_and_transactions_per_item(client, user):
    ddb = client("dynamodb")
    _table(ddb)
    _table(ddb, "other")
    notes = f"arn:aws:dynamodb:{REGION}:{OWNER}:table/notes"
    other = f"arn:aws:dynamodb:{REGION}:{OWNER}:table/other"
    mine = as_user(client, "dynamodb", user("dev", allow(["dynamodb:BatchWriteItem", "dynamodb:PutItem"], notes),
                                            allow("dynamodb:BatchGetItem", [notes, other])))
    mine.batch_write_item(RequestItems={"notes": [{"PutRequest": {"Item": {"pk": {"S": "x"}}}}]})
    e = error_of(mine.batch_write_item, RequestItems={
        "notes": [{"PutRequest": {"Item": {"pk": {"S": "y"}}}}],
        "other": [{"PutRequest": {"Item": {"pk": {"S": "y"}}}}]})
    assert e["Message"] == denied("dynamodb:BatchWriteItem", other)
    assert "y" not in str(ddb.scan(TableName="notes")["Items"])  # refused as a whole
    got = mine.batch_get_item(RequestItems={"notes": {"Keys": [{"pk": {"S": "x"}}]},
                                            "other": {"Keys": [{"pk": {"S": "x"}}]}})
    assert got["Responses"]["notes"] == [{"pk": {"S": "x"}}]
    # A transaction's Put is dynamodb:PutItem; its Delete is dynamodb:DeleteItem.
    mine.transact_write_items(TransactItems=[{"Put": {"TableName": "notes", "Item": {"pk": {"S": "t"}}}}])
    e = error_of(mine.transact_write_items, TransactItems=[
        {"Put": {"TableName": "notes", "Item": {"pk": {"S": "u"}}}},
        {"Delete": {"TableName": "notes", "Key": {"pk": {"S": "x"}}}}])
    assert e["Message"] == denied("dynamodb:DeleteItem", notes)


def test_dynamodb_resource_policy_lets_another_account_in(client):
    ddb = client("dynamodb")
    _table(ddb)
    arn = f"arn:aws:dynamodb:{REGION}:{OWNER}:table/notes"
    ddb.put_item(TableName="notes", Item={"pk": {"S": "a"}})
    other = client("dynamodb", key=OTHER)
    e = error_of(other.get_item, TableName=arn, Key={"pk": {"S": "a"}})
    assert e["Code"] == "AccessDeniedException"
    assert e["Message"].endswith("because no resource-based policy allows the dynamodb:GetItem action")
    ddb.put_resource_policy(ResourceArn=arn, Policy=doc(
        {"Effect": "Allow", "Principal": {"AWS": f"arn:aws:iam::{OTHER}:root"}, "Action": "dynamodb:GetItem",
         "Resource": arn}))
    assert other.get_item(TableName=arn, Key={"pk": {"S": "a"}})["Item"] == {"pk": {"S": "a"}}


def test_kinesis_streams(client, user):
    client("kinesis").create_stream(StreamName="clicks", ShardCount=1)
    arn = f"arn:aws:kinesis:{REGION}:{OWNER}:stream/clicks"
    mine = as_user(client, "kinesis", user("dev", allow("kinesis:PutRecord", arn)))
    mine.put_record(StreamName="clicks", Data=b"x", PartitionKey="p")
    mine.put_record(StreamARN=arn, Data=b"x", PartitionKey="p")
    e = error_of(mine.describe_stream, StreamName="clicks")
    assert (e["Code"], e["Status"]) == ("AccessDeniedException", 400)
    assert e["Message"] == denied("kinesis:DescribeStream", arn)


def test_logs_groups_and_explicit_deny(client, user):
    logs = client("logs")
    logs.create_log_group(logGroupName="app")
    logs.create_log_group(logGroupName="audit")
    key = user("dev", allow("logs:*", f"arn:aws:logs:{REGION}:{OWNER}:log-group:*"),
               deny("logs:*", f"arn:aws:logs:{REGION}:{OWNER}:log-group:audit:*"))
    mine = as_user(client, "logs", key)
    mine.create_log_stream(logGroupName="app", logStreamName="s")
    e = error_of(mine.create_log_stream, logGroupName="audit", logStreamName="s")
    assert (e["Code"], e["Status"]) == ("AccessDeniedException", 400)
    assert e["Message"] == (f"User: {USER} is not authorized to perform: logs:CreateLogStream on resource: "
                            f"arn:aws:logs:{REGION}:{OWNER}:log-group:audit:* with an explicit deny in an "
                            "identity-based policy")


def test_ssm_parameters_by_path(client, user):
    ssm = client("ssm")
    ssm.put_parameter(Name="/app/db/host", Value="db", Type="String")
    ssm.put_parameter(Name="/ops/token", Value="t", Type="String")
    key = user("dev", allow(["ssm:GetParameter", "ssm:GetParameters"],
                            f"arn:aws:ssm:{REGION}:{OWNER}:parameter/app/*"))
    mine = as_user(client, "ssm", key)
    assert mine.get_parameter(Name="/app/db/host")["Parameter"]["Value"] == "db"
    e = error_of(mine.get_parameter, Name="/ops/token")
    assert (e["Code"], e["Status"]) == ("AccessDeniedException", 400)
    assert e["Message"] == denied("ssm:GetParameter", f"arn:aws:ssm:{REGION}:{OWNER}:parameter/ops/token")
    # Each name of GetParameters is checked.
    assert error_of(mine.get_parameters, Names=["/app/db/host", "/ops/token"])["Code"] == "AccessDeniedException"


def test_secrets_manager_identity_and_secret_policies(client, user):
    sm = client("secretsmanager")
    arn = sm.create_secret(Name="db-password", SecretString="hunter2")["ARN"]
    mine = as_user(client, "secretsmanager", user("dev"))
    e = error_of(mine.get_secret_value, SecretId="db-password")
    assert (e["Code"], e["Status"]) == ("AccessDeniedException", 400)
    assert e["Message"] == denied("secretsmanager:GetSecretValue", arn)  # the full ARN, suffix and all
    sm.put_resource_policy(SecretId="db-password", ResourcePolicy=doc(
        {"Effect": "Allow", "Principal": {"AWS": USER}, "Action": "secretsmanager:GetSecretValue", "Resource": "*"}))
    assert mine.get_secret_value(SecretId="db-password")["SecretString"] == "hunter2"


def test_step_functions_and_events_and_firehose(client, user):
    key = user("dev", allow("states:ListStateMachines"), allow("events:PutEvents"))
    sfn = as_user(client, "stepfunctions", key)
    sfn.list_state_machines()
    machine = f"arn:aws:states:{REGION}:{OWNER}:stateMachine:m"
    e = error_of(sfn.describe_state_machine, stateMachineArn=machine)
    assert (e["Code"], e["Status"]) == ("AccessDeniedException", 400)
    assert e["Message"] == denied("states:DescribeStateMachine", machine)
    events = as_user(client, "events", key)
    assert events.put_events(Entries=[{"Source": "s", "DetailType": "d", "Detail": "{}"}])["FailedEntryCount"] == 0
    e = error_of(events.list_rules)
    assert (e["Code"], e["Status"]) == ("AccessDeniedException", 400)
    e = error_of(as_user(client, "firehose", key).describe_delivery_stream, DeliveryStreamName="s")
    assert e["Message"] == denied("firehose:DescribeDeliveryStream",
                                  f"arn:aws:firehose:{REGION}:{OWNER}:deliverystream/s")


def test_eventbridge_bus_policy_for_another_account(client):
    events = client("events")
    events.create_event_bus(Name="shared")
    bus = f"arn:aws:events:{REGION}:{OWNER}:event-bus/shared"
    other = client("events", key=OTHER)
    entry = {"Source": "s", "DetailType": "d", "Detail": "{}", "EventBusName": bus}
    e = error_of(other.put_events, Entries=[entry])
    assert e["Code"] == "AccessDeniedException"
    assert e["Message"].endswith("because no resource-based policy allows the events:PutEvents action")
    events.put_permission(EventBusName="shared", Action="events:PutEvents", Principal=OTHER, StatementId="other")
    assert other.put_events(Entries=[entry])["FailedEntryCount"] == 0


def test_unsigned_requests_are_refused(cloud):
    import httpx
    r = httpx.post(cloud.endpoint, headers={"X-Amz-Target": "DynamoDB_20120810.ListTables",
                                            "Content-Type": "application/x-amz-json-1.0"}, content=b"{}")
    assert r.status_code == 400 and r.json()["__type"].endswith("MissingAuthenticationTokenException")


def test_the_root_is_unrestricted(client):
    client("dynamodb").list_tables()
    client("ssm").describe_parameters()
    client("stepfunctions").list_state_machines()


def test_kinesis_get_records_is_checked_on_the_iterators_stream(client, user):
    kinesis = client("kinesis")
    kinesis.create_stream(StreamName="clicks", ShardCount=1)
    kinesis.create_stream(StreamName="private", ShardCount=1)
    arn = f"arn:aws:kinesis:{REGION}:{OWNER}:stream/clicks"
    mine = as_user(client, "kinesis", user("dev", allow(["kinesis:GetShardIterator", "kinesis:GetRecords"], arn)))
    shard = kinesis.list_shards(StreamName="clicks")["Shards"][0]["ShardId"]
    it = mine.get_shard_iterator(StreamName="clicks", ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    assert mine.get_records(ShardIterator=it["ShardIterator"])["Records"] == []
    other = kinesis.get_shard_iterator(StreamName="private", ShardId=shard, ShardIteratorType="TRIM_HORIZON")
    e = error_of(mine.get_records, ShardIterator=other["ShardIterator"])
    assert e["Message"] == denied("kinesis:GetRecords", arn.replace("clicks", "private"))


def test_log_stream_operations_act_on_the_stream(client, user):
    logs = client("logs")
    logs.create_log_group(logGroupName="app")
    logs.create_log_stream(logGroupName="app", logStreamName="web")
    logs.create_log_stream(logGroupName="app", logStreamName="db")
    group = f"arn:aws:logs:{REGION}:{OWNER}:log-group:app"
    mine = as_user(client, "logs", user("dev", allow("logs:PutLogEvents", group + ":log-stream:web")))
    mine.put_log_events(logGroupName="app", logStreamName="web", logEvents=[{"timestamp": 0, "message": "m"}])
    e = error_of(mine.put_log_events, logGroupName="app", logStreamName="db",
                 logEvents=[{"timestamp": 0, "message": "m"}])
    assert e["Message"] == denied("logs:PutLogEvents", group + ":log-stream:db")


def test_scheduler_schedules_in_groups(client, user):
    mine = as_user(client, "scheduler", user("dev", allow(
        "scheduler:GetSchedule", f"arn:aws:scheduler:{REGION}:{OWNER}:schedule/team-a/*")))
    e = error_of(mine.get_schedule, Name="nightly", GroupName="team-a")
    assert e["Code"] == "ResourceNotFoundException"  # allowed: there is no such schedule
    e = error_of(mine.get_schedule, Name="nightly")
    assert (e["Code"], e["Status"]) == ("AccessDeniedException", 403)
    assert e["Message"] == denied("scheduler:GetSchedule",
                                  f"arn:aws:scheduler:{REGION}:{OWNER}:schedule/default/nightly")


def test_dynamodb_partiql_statements_are_their_partiql_actions(client, user):
    ddb = client("dynamodb")
    _table(ddb)
    arn = f"arn:aws:dynamodb:{REGION}:{OWNER}:table/notes"
    mine = as_user(client, "dynamodb", user("dev", allow("dynamodb:PartiQLSelect", arn)))
    assert mine.execute_statement(Statement='SELECT * FROM "notes"')["Items"] == []
    e = error_of(mine.execute_statement, Statement="INSERT INTO \"notes\" VALUE {'pk': 'a'}")
    assert e["Message"] == denied("dynamodb:PartiQLInsert", arn)
    e = error_of(mine.execute_statement, Statement="UPDATE notes SET x = 1 WHERE pk = 'a'")
    assert e["Message"] == denied("dynamodb:PartiQLUpdate", arn)


def test_eventbridge_rules_on_a_custom_bus(client, user):
    events = client("events")
    events.create_event_bus(Name="orders")
    events.put_rule(Name="big", EventBusName="orders", EventPattern='{"source": ["shop"]}')
    mine = as_user(client, "events", user("dev", allow(
        "events:DescribeRule", f"arn:aws:events:{REGION}:{OWNER}:rule/orders/*")))
    assert mine.describe_rule(Name="big", EventBusName="orders")["Name"] == "big"
    e = error_of(mine.describe_rule, Name="big")
    assert e["Message"] == denied("events:DescribeRule", f"arn:aws:events:{REGION}:{OWNER}:rule/big")


def test_secrets_manager_batch_needs_each_secret(client, user):
    sm = client("secretsmanager")
    a = sm.create_secret(Name="a", SecretString="1")["ARN"]
    b = sm.create_secret(Name="b", SecretString="2")["ARN"]
    mine = as_user(client, "secretsmanager", user("dev", allow("secretsmanager:BatchGetSecretValue"),
                                                  allow("secretsmanager:GetSecretValue", a)))
    got = mine.batch_get_secret_value(SecretIdList=["a"])["SecretValues"]
    assert [v["SecretString"] for v in got] == ["1"]
    e = error_of(mine.batch_get_secret_value, SecretIdList=["a", "b"])
    assert e["Message"] == denied("secretsmanager:GetSecretValue", b)
