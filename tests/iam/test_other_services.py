"""Users' and sessions' identity policies, and resource policies, on SQS, SNS and Lambda."""
import json

from .conftest import ACCOUNT, OTHER, allow, error_of

USER_ARN = f"arn:aws:iam::{ACCOUNT}:user/dev"


def test_sqs_identity_and_queue_policies(client, user):
    sqs = client("sqs")
    url = sqs.create_queue(QueueName="jobs")["QueueUrl"]
    queue_arn = f"arn:aws:sqs:us-east-1:{ACCOUNT}:jobs"
    key = user("dev", allow("sqs:SendMessage", queue_arn))
    mine = client("sqs", creds=key)
    mine.send_message(QueueUrl=url, MessageBody="hi")
    mine.send_message_batch(QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "a"}])  # batch: sqs:SendMessage
    e = error_of(mine.receive_message, QueueUrl=url)
    assert e["Code"] == "AccessDenied" and e["Status"] == 403
    assert e["Message"] == (f"User: {USER_ARN} is not authorized to perform: sqs:ReceiveMessage on resource: "
                            f"{queue_arn} because no identity-based policy allows the sqs:ReceiveMessage action")
    assert error_of(mine.create_queue, QueueName="other")["Code"] == "AccessDenied"
    # Another account needs the queue's policy; a deny in it refuses even the user.
    other = client("sqs", key=OTHER)
    assert error_of(other.send_message, QueueUrl=url, MessageBody="x")["Code"] == "AccessDenied"
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"Policy": json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": OTHER}, "Action": "sqs:SendMessage", "Resource": queue_arn},
        {"Effect": "Deny", "Principal": {"AWS": USER_ARN}, "Action": "sqs:SendMessage", "Resource": queue_arn}]})})
    other.send_message(QueueUrl=url, MessageBody="from afar")
    e = error_of(mine.send_message, QueueUrl=url, MessageBody="x")
    assert e["Message"].endswith("with an explicit deny in a resource-based policy")
    assert sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"])[
        "Attributes"]["ApproximateNumberOfMessages"] == "3"


def test_sns_identity_and_topic_policies(client, user):
    sns = client("sns")
    topic = sns.create_topic(Name="news")["TopicArn"]
    key = user("dev", allow("sns:Publish", topic))
    mine = client("sns", creds=key)
    mine.publish(TopicArn=topic, Message="hello")
    e = error_of(mine.delete_topic, TopicArn=topic)
    assert (e["Code"], e["Status"]) == ("AuthorizationError", 403)
    assert "sns:DeleteTopic" in e["Message"]
    # The default topic policy does not let another account in.
    assert error_of(client("sns", key=OTHER).publish, TopicArn=topic, Message="x")["Code"] == "AuthorizationError"
    sns.set_topic_attributes(TopicArn=topic, AttributeName="Policy", AttributeValue=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": OTHER},
                                                "Action": "sns:Publish", "Resource": topic}]}))
    client("sns", key=OTHER).publish(TopicArn=topic, Message="from afar")


def test_lambda_identity_policies(client, user):
    key = user("dev", allow("lambda:GetFunction", f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:app-*"))
    mine = client("lambda", creds=key)
    assert error_of(mine.get_function, FunctionName="app-api")["Code"] == "ResourceNotFoundException"
    e = error_of(mine.get_function, FunctionName="other")
    assert (e["Code"], e["Status"]) == ("AccessDeniedException", 403)
    assert e["Message"] == (f"User: {USER_ARN} is not authorized to perform: lambda:GetFunction on resource: "
                            f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:other because no identity-based policy "
                            "allows the lambda:GetFunction action")
    assert error_of(mine.list_functions)["Code"] == "AccessDeniedException"
    client("lambda").list_functions()  # the root may


def test_lambda_capacity_providers_are_resources(client, user):
    key = user("dev", allow("lambda:GetCapacityProvider",
                            f"arn:aws:lambda:us-east-1:{ACCOUNT}:capacity-provider:team-*"))
    mine = client("lambda", creds=key)
    assert error_of(mine.get_capacity_provider, CapacityProviderName="team-a")["Code"] == \
        "ResourceNotFoundException"
    e = error_of(mine.get_capacity_provider, CapacityProviderName="other")
    assert (e["Code"], e["Status"]) == ("AccessDeniedException", 403)
    assert "capacity-provider:other because" in e["Message"]


def test_a_role_session_on_sqs(client, iam):
    iam.create_role(RoleName="worker", AssumeRolePolicyDocument=json.dumps({"Version": "2012-10-17", "Statement": [
        {"Effect": "Allow", "Principal": {"AWS": ACCOUNT}, "Action": "sts:AssumeRole"}]}))
    iam.attach_role_policy(RoleName="worker", PolicyArn="arn:aws:iam::aws:policy/AmazonSQSReadOnlyAccess")
    creds = client("sts").assume_role(RoleArn=f"arn:aws:iam::{ACCOUNT}:role/worker",
                                      RoleSessionName="w1")["Credentials"]
    url = client("sqs").create_queue(QueueName="q")["QueueUrl"]
    session = client("sqs", creds=creds)
    assert session.get_queue_url(QueueName="q")["QueueUrl"] == url
    assert error_of(session.send_message, QueueUrl=url, MessageBody="x")["Code"] == "AccessDenied"


def _zip() -> bytes:
    import io
    import zipfile
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("app.py", "def handler(event, context):\n    return event\n")
    return buf.getvalue()


def test_lambda_function_policy_and_pass_role(client, user, iam):
    role = f"arn:aws:iam::{ACCOUNT}:role/fn-role"
    key = user("dev", allow("lambda:CreateFunction"))
    mine = client("lambda", creds=key)
    create = dict(FunctionName="app-fn", Runtime="python3.12", Role=role, Handler="app.handler",
                  Code={"ZipFile": _zip()})
    e = error_of(mine.create_function, **create)
    assert e["Code"] == "AccessDeniedException" and "iam:PassRole" in e["Message"]
    iam.put_user_policy(UserName="dev", PolicyName="pass", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [allow("iam:PassRole", role, Condition={
            "StringEquals": {"iam:PassedToService": "lambda.amazonaws.com"}})]}))
    mine.create_function(**create)
    # Within the account, the function's policy naming a user is enough on its own.
    reader = client("lambda", creds=user("reader"))
    assert error_of(reader.get_function_configuration, FunctionName="app-fn")["Code"] == "AccessDeniedException"
    client("lambda").add_permission(FunctionName="app-fn", StatementId="reader",
                                    Action="lambda:GetFunctionConfiguration",
                                    Principal=f"arn:aws:iam::{ACCOUNT}:user/reader")
    assert reader.get_function_configuration(FunctionName="app-fn")["FunctionName"] == "app-fn"
