"""Resources made before a service is swept, so that drawn inputs also reach
past "not found": for each service, a function that makes a few resources and
returns top-level input members to set to them (member name -> value). The
sweep sets them on half of the examples."""
from __future__ import annotations

import io
import json
import zipfile

ACCOUNT = "000000000000"
TRUST = json.dumps({"Version": "2012-10-17", "Statement": [
    {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}]})


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", "def handler(event, context):\n    return {'ok': True}\n")
    return buf.getvalue()


def sqs(c):
    url = c.create_queue(QueueName="seeded")["QueueUrl"]
    return {"QueueUrl": url, "QueueName": "seeded"}


def sns(c):
    return {"TopicArn": c.create_topic(Name="seeded")["TopicArn"]}


def s3(c):
    c.create_bucket(Bucket="seeded-bucket")
    c.put_object(Bucket="seeded-bucket", Key="k", Body=b"hello")
    return {"Bucket": "seeded-bucket", "Key": "k"}


def dynamodb(c):
    c.create_table(TableName="seeded", BillingMode="PAY_PER_REQUEST",
                   AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"},
                                         {"AttributeName": "sk", "AttributeType": "S"}],
                   KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
                   StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    c.put_item(TableName="seeded", Item={"pk": {"S": "a"}, "sk": {"S": "b"}, "n": {"N": "1"}})
    arn = c.describe_table(TableName="seeded")["Table"]["TableArn"]
    return {"TableName": "seeded", "ResourceArn": arn}


def dynamodbstreams(c, endpoint):
    ddb = _other(endpoint, "dynamodb")
    ddb.create_table(TableName="seeded-s", BillingMode="PAY_PER_REQUEST",
                     AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
                     KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
                     StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"})
    ddb.put_item(TableName="seeded-s", Item={"pk": {"S": "a"}})
    arn = ddb.describe_table(TableName="seeded-s")["Table"]["LatestStreamArn"]
    shard = c.describe_stream(StreamArn=arn)["StreamDescription"]["Shards"][0]["ShardId"]
    return {"StreamArn": arn, "ShardId": shard, "TableName": "seeded-s"}


def kinesis(c):
    c.create_stream(StreamName="seeded", ShardCount=1)
    d = c.describe_stream(StreamName="seeded")["StreamDescription"]
    return {"StreamName": "seeded", "StreamARN": d["StreamARN"], "ShardId": d["Shards"][0]["ShardId"]}


def lambda_(c):
    arn = c.create_function(FunctionName="seeded", Runtime="python3.12", Handler="app.handler",
                            Role=f"arn:aws:iam::{ACCOUNT}:role/seeded", Code={"ZipFile": _zip()})["FunctionArn"]
    return {"FunctionName": "seeded", "Resource": arn}


def logs(c):
    c.create_log_group(logGroupName="seeded")
    c.create_log_stream(logGroupName="seeded", logStreamName="s")
    return {"logGroupName": "seeded", "logStreamName": "s", "logGroupIdentifier": "seeded"}


def events(c):
    c.create_event_bus(Name="seeded")
    c.put_rule(Name="seeded-rule", EventBusName="seeded", EventPattern=json.dumps({"source": ["x"]}))
    return {"EventBusName": "seeded", "Rule": "seeded-rule"}


def stepfunctions(c):
    definition = json.dumps({"StartAt": "P", "States": {"P": {"Type": "Pass", "End": True}}})
    arn = c.create_state_machine(name="seeded", definition=definition,
                                 roleArn=f"arn:aws:iam::{ACCOUNT}:role/seeded")["stateMachineArn"]
    return {"stateMachineArn": arn, "resourceArn": arn}


def kms(c):
    return {"KeyId": c.create_key()["KeyMetadata"]["KeyId"]}


def secretsmanager(c):
    c.create_secret(Name="seeded", SecretString="s3cret")
    return {"SecretId": "seeded"}


def ssm(c):
    c.put_parameter(Name="/seeded", Value="v", Type="String")
    return {"Name": "/seeded"}


def iam(c):
    c.create_role(RoleName="seeded", AssumeRolePolicyDocument=TRUST)
    c.create_user(UserName="seeded")
    c.create_group(GroupName="seeded")
    return {"RoleName": "seeded", "UserName": "seeded", "GroupName": "seeded"}


def firehose(c, endpoint):
    _other(endpoint, "s3").create_bucket(Bucket="seeded-firehose")
    c.create_delivery_stream(DeliveryStreamName="seeded", DeliveryStreamType="DirectPut",
                             ExtendedS3DestinationConfiguration={
                                 "RoleARN": f"arn:aws:iam::{ACCOUNT}:role/seeded",
                                 "BucketARN": "arn:aws:s3:::seeded-firehose"})
    return {"DeliveryStreamName": "seeded"}


def scheduler(c):
    c.create_schedule(Name="seeded", ScheduleExpression="rate(1 hour)", FlexibleTimeWindow={"Mode": "OFF"},
                      Target={"Arn": f"arn:aws:sqs:us-east-1:{ACCOUNT}:q", "RoleArn": f"arn:aws:iam::{ACCOUNT}:role/r"})
    return {"Name": "seeded"}


def s3control(c):
    return {"AccountId": ACCOUNT}


def schemas(c):
    c.create_registry(RegistryName="seeded")
    return {"RegistryName": "seeded"}


def _other(endpoint, service):
    from robustness.sweep import client

    return client(endpoint, service)


SEEDS = {"lambda": lambda_, **{name: fn for name, fn in list(globals().items())
                                if callable(fn) and not name.startswith("_") and name not in ("lambda_",)
                                and getattr(fn, "__module__", None) == __name__}}


def seed(service: str, c, endpoint: str) -> dict:
    fn = SEEDS.get(service)
    if fn is None:
        return {}
    import inspect

    return fn(c, endpoint) if len(inspect.signature(fn).parameters) == 2 else fn(c)
