"""Temporary delegation: a partner's request, the customer's review and acceptance, the
exchange token sent to the partner's SNS topic and traded for STS credentials limited to the
delegated permissions (IAM enforcement on); expiry on the controllable clock."""
import json

import pytest
from botocore.exceptions import ClientError

from iam.conftest import ACCOUNT, OTHER, allow, doc, error_of

PARTNER = OTHER
READ_ONLY = "arn:aws:iam::aws:policy/ReadOnlyAccess"


@pytest.fixture
def partner(client):
    return lambda service: client(service, key=PARTNER)


@pytest.fixture
def channel(partner):
    """The partner's notification topic, with a queue subscribed to read what is sent to it."""
    sns, sqs = partner("sns"), partner("sqs")
    topic = sns.create_topic(Name="delegation-tokens")["TopicArn"]
    url = sqs.create_queue(QueueName="delegation-tokens")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=arn, Attributes={"RawMessageDelivery": "true"})

    def received():
        messages = sqs.receive_message(QueueUrl=url, WaitTimeSeconds=2).get("Messages") or []
        return [json.loads(m["Body"]) for m in messages]
    return topic, received


def create(partner, topic, template, owner=ACCOUNT, workflow="wf-0001", duration=900, **kwargs):
    params = dict(Description="Set up monitoring", Permissions={"PolicyTemplateArn": template},
                  RequestorWorkflowId=workflow, NotificationChannel=topic, SessionDuration=duration, **kwargs)
    if owner:
        params["OwnerAccountId"] = owner
    return partner("iam").create_delegation_request(**params)


def template(partner, *actions):
    return partner("iam").create_policy(PolicyName="template", PolicyDocument=doc(allow(list(actions))))[
        "Policy"]["Arn"]


def test_the_lifecycle_up_to_delegated_credentials(iam, client, user, partner, channel, cloud):
    topic, received = channel
    arn = template(partner, "sqs:ListQueues")
    out = create(partner, topic, arn, RequestMessage="for ticket 42", duration=300)
    rid = out["DelegationRequestId"]
    assert rid in out["ConsoleDeepLink"]
    got = partner("iam").get_delegation_request(DelegationRequestId=rid)["DelegationRequest"]
    assert (got["State"], got["RequestorId"], got["OwnerAccountId"]) == ("UNASSIGNED", PARTNER, ACCOUNT)
    assert got["ExpirationTime"] > got["CreateDate"]
    # Not owned yet: not listed for the owner account.
    assert iam.list_delegation_requests()["DelegationRequests"] == []

    # The customer: a user who may do what the template asks and more.
    key = user("admin", allow(["iam:*", "sqs:*", "sns:*"]))
    admin = client("iam", creds=key)
    admin.associate_delegation_request(DelegationRequestId=rid)
    listed = admin.list_delegation_requests()["DelegationRequests"]
    assert [(r["DelegationRequestId"], r["State"], r["OwnerId"]) for r in listed] == \
        [(rid, "ASSIGNED", f"arn:aws:iam::{ACCOUNT}:user/admin")]
    admin.update_delegation_request(DelegationRequestId=rid, Notes="looks fine")
    assert admin.get_delegation_request(DelegationRequestId=rid)["DelegationRequest"]["State"] == \
        "PENDING_APPROVAL"
    assert error_of(admin.send_delegation_token, DelegationRequestId=rid)["Code"] == "InvalidInput"
    admin.accept_delegation_request(DelegationRequestId=rid)
    assert admin.get_delegation_request(DelegationRequestId=rid)["DelegationRequest"]["ApproverId"] == \
        f"arn:aws:iam::{ACCOUNT}:user/admin"
    admin.send_delegation_token(DelegationRequestId=rid)
    final = admin.get_delegation_request(DelegationRequestId=rid)["DelegationRequest"]
    assert final["State"] == "FINALIZED" and final["Notes"] == "looks fine"
    e = error_of(admin.reject_delegation_request, DelegationRequestId=rid)  # too late: the token is out
    assert (e["Code"], e["Status"]) == ("InvalidInput", 400)

    [message] = received()
    assert message["DelegationRequestId"] == rid and message["RequestorWorkflowId"] == "wf-0001"
    out = partner("sts").get_delegated_access_token(TradeInToken=message["TradeInToken"])
    assert out["AssumedPrincipal"] == f"arn:aws:iam::{ACCOUNT}:user/admin"
    creds = out["Credentials"]
    assert creds["AccessKeyId"].startswith("ASIA")
    # The approver's identity, limited to the template: listing queues, nothing else it may do.
    assert client("sts", creds=creds).get_caller_identity()["Arn"] == f"arn:aws:iam::{ACCOUNT}:user/admin"
    client("sqs", creds=creds).list_queues()
    assert error_of(client("sns", creds=creds).list_topics)["Code"] == "AuthorizationError"
    # The delegation period is the session duration from when the token was sent.
    assert creds["Expiration"] > final["UpdatedTime"]
    cloud.advance(301)
    e = error_of(partner("sts").get_delegated_access_token, TradeInToken=message["TradeInToken"])
    assert (e["Code"], e["Status"]) == ("ExpiredTradeInTokenException", 400)


def test_a_template_nubis_cannot_expand_delegates_nothing(iam, client, partner, channel):
    topic, received = channel
    rid = create(partner, topic, "arn:aws:iam::aws:policy-template/MonitoringSetup")["DelegationRequestId"]
    for step in (iam.associate_delegation_request, iam.accept_delegation_request, iam.send_delegation_token):
        step(DelegationRequestId=rid)
    [message] = received()
    creds = partner("sts").get_delegated_access_token(TradeInToken=message["TradeInToken"])["Credentials"]
    assert error_of(client("sqs", creds=creds).list_queues)["Status"] == 403


def test_who_sees_a_request(iam, client, partner, channel):
    topic, _ = channel
    open_rid = create(partner, topic, "arn:aws:iam::aws:policy/ReadOnlyAccess", owner=None,
                      workflow="wf-open")["DelegationRequestId"]
    mine = create(partner, topic, "arn:aws:iam::aws:policy/ReadOnlyAccess", owner=PARTNER,
                  workflow="wf-mine")["DelegationRequestId"]
    # Without an owner account, any account sees it and may claim it.
    assert iam.get_delegation_request(DelegationRequestId=open_rid)["DelegationRequest"]["State"] == "UNASSIGNED"
    e = error_of(iam.get_delegation_request, DelegationRequestId=mine)
    assert (e["Code"], e["Status"]) == ("NoSuchEntity", 404)
    assert error_of(iam.associate_delegation_request, DelegationRequestId=mine)["Code"] == "NoSuchEntity"
    iam.associate_delegation_request(DelegationRequestId=open_rid)
    assert iam.get_delegation_request(DelegationRequestId=open_rid)["DelegationRequest"]["OwnerAccountId"] == \
        ACCOUNT
    assert error_of(iam.associate_delegation_request, DelegationRequestId=open_rid)["Code"] == "InvalidInput"
    # Now it is the customer's: a third account no longer sees it; the partner still does.
    assert error_of(client("iam", key="444455556666").get_delegation_request,
                    DelegationRequestId=open_rid)["Code"] == "NoSuchEntity"
    assert partner("iam").get_delegation_request(DelegationRequestId=open_rid)["DelegationRequest"]["State"] == \
        "ASSIGNED"
    # Only the owner account acts on it.
    assert error_of(partner("iam").accept_delegation_request, DelegationRequestId=open_rid)["Code"] == \
        "NoSuchEntity"
    # The same workflow cannot be asked twice while a request for it is open.
    e = error_of(create, partner, topic, "arn:aws:iam::aws:policy/ReadOnlyAccess", workflow="wf-mine")
    assert (e["Code"], e["Status"]) == ("EntityAlreadyExists", 409)


def test_rejection(iam, partner, channel):
    topic, received = channel
    rid = create(partner, topic, "arn:aws:iam::aws:policy/ReadOnlyAccess")["DelegationRequestId"]
    iam.associate_delegation_request(DelegationRequestId=rid)
    iam.accept_delegation_request(DelegationRequestId=rid)
    iam.reject_delegation_request(DelegationRequestId=rid, Notes="not now")  # an accepted one, before the token
    got = iam.get_delegation_request(DelegationRequestId=rid)["DelegationRequest"]
    assert (got["State"], got["RejectionReason"]) == ("REJECTED", "not now")
    assert error_of(iam.accept_delegation_request, DelegationRequestId=rid)["Code"] == "InvalidInput"
    assert error_of(iam.send_delegation_token, DelegationRequestId=rid)["Code"] == "InvalidInput"
    assert received() == []


def test_requests_expire_on_the_clock(nubis, aws_client):
    # Days pass here: on a server that does not check signatures' age against its clock.
    customer = aws_client("iam")
    requests = aws_client("iam", aws_access_key_id=PARTNER, aws_secret_access_key="test")
    made = [requests.create_delegation_request(
        OwnerAccountId=ACCOUNT, Description="d", Permissions={"PolicyTemplateArn": READ_ONLY},
        RequestorWorkflowId=f"wf-000{n}", NotificationChannel="arn:aws:sns:us-east-1:111122223333:t",
        SessionDuration=300)["DelegationRequestId"] for n in range(3)]
    customer.associate_delegation_request(DelegationRequestId=made[1])
    customer.associate_delegation_request(DelegationRequestId=made[2])
    nubis.advance(86400)  # an unassigned request lasts a day; an assigned one a week from its last change
    states = [customer.get_delegation_request(DelegationRequestId=r)["DelegationRequest"]["State"] for r in made]
    assert states == ["EXPIRED", "ASSIGNED", "ASSIGNED"]
    with pytest.raises(ClientError) as info:
        customer.associate_delegation_request(DelegationRequestId=made[0])
    assert info.value.response["Error"]["Code"] == "InvalidInput"
    customer.update_delegation_request(DelegationRequestId=made[2], Notes="forwarded")
    nubis.advance(6 * 86400)
    states = [customer.get_delegation_request(DelegationRequestId=r)["DelegationRequest"]["State"] for r in made]
    assert states == ["EXPIRED", "EXPIRED", "PENDING_APPROVAL"]


def test_only_send_by_owner_and_the_summary(iam, client, user, partner, channel):
    topic, received = channel
    rid = create(partner, topic, "arn:aws:iam::aws:policy/ReadOnlyAccess", OnlySendByOwner=True)[
        "DelegationRequestId"]
    owner = client("iam", creds=user("owner", allow("iam:*")))
    owner.associate_delegation_request(DelegationRequestId=rid)
    iam.accept_delegation_request(DelegationRequestId=rid)
    e = error_of(iam.send_delegation_token, DelegationRequestId=rid)  # the root is not the owner
    assert (e["Code"], e["Status"]) == ("AccessDenied", 403)
    owner.send_delegation_token(DelegationRequestId=rid)
    assert len(received()) == 1
    summary = iam.get_human_readable_summary(EntityArn=f"arn:aws:iam::{ACCOUNT}:delegation-request/{rid}")
    assert summary["SummaryState"] == "AVAILABLE" and summary["Locale"] == "en"
    assert "Set up monitoring" in summary["SummaryContent"] and PARTNER in summary["SummaryContent"]
    assert error_of(iam.get_human_readable_summary, EntityArn=f"arn:aws:iam::{ACCOUNT}:user/owner")["Code"] == \
        "InvalidInput"
    e = error_of(partner("sts").get_delegated_access_token, TradeInToken="not-a-token-nubis-sent")
    assert e["Code"] == "ExpiredTradeInTokenException"
    e = error_of(partner("sts").get_delegated_access_token, TradeInToken="\u00e9\u2603-not-ascii")
    assert e["Code"] == "ExpiredTradeInTokenException"
