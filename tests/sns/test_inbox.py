"""What would leave AWS (e-mail, SMS, mobile push) lands in the inbox at
/_nubis/sns/inbox; SMS settings and opt-outs; the SMS sandbox; platform
applications and endpoints."""
import json
import urllib.request

import pytest
from botocore.exceptions import ClientError

from .conftest import inbox


def error(info):
    e = info.value.response["Error"]
    return e["Code"], e["Message"], info.value.response["ResponseMetadata"]["HTTPStatusCode"]


@pytest.fixture
def sns(aws_client):
    return aws_client("sns")


def post(nubis, path, doc):
    req = urllib.request.Request(nubis.endpoint + path, json.dumps(doc).encode(), method="POST",
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=10) as r:
        return json.loads(r.read())


def confirm_email(nubis, sns, topic, address, protocol="email"):
    sns.subscribe(TopicArn=topic, Protocol=protocol, Endpoint=address)
    mail = [m for m in inbox(nubis, protocol, 1) if m["to"] == address][-1]
    return sns.confirm_subscription(TopicArn=topic, Token=mail["Token"])["SubscriptionArn"]


def test_email_notification(nubis, sns):
    topic = sns.create_topic(Name="news", Attributes={"DisplayName": "Newsroom"})["TopicArn"]
    sub = confirm_email(nubis, sns, topic, "reader@example.com")
    message_id = sns.publish(TopicArn=topic, Message="Big news", Subject="Headline")["MessageId"]
    mails = inbox(nubis, "email", 2)
    mail = mails[-1]
    assert mail["to"] == mail["destination"] == "reader@example.com"
    assert mail["subject"] == "Headline"
    assert mail["from"].startswith("Newsroom <")
    assert mail["body"].startswith("Big news")
    assert sub in mail["body"]  # the unsubscribe link
    assert mail["messageId"] == message_id


def test_email_json_gets_the_envelope(nubis, sns):
    topic = sns.create_topic(Name="t")["TopicArn"]
    confirm_email(nubis, sns, topic, "robot@example.com", protocol="email-json")
    sns.publish(TopicArn=topic, MessageStructure="json",
                Message=json.dumps({"default": "plain", "email-json": "for robots"}))
    note = json.loads(inbox(nubis, "email-json", 2)[-1]["body"])
    assert note["Type"] == "Notification" and note["Message"] == "for robots"


def test_pending_email_gets_nothing(nubis, sns):
    topic = sns.create_topic(Name="t")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="email", Endpoint="later@example.com")
    inbox(nubis, "email", 1)
    sns.publish(TopicArn=topic, Message="too early")
    nubis.advance(0)
    assert len(inbox(nubis, "email")) == 1


def test_sms_from_topic_and_direct(nubis, sns):
    topic = sns.create_topic(Name="t")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="sms", Endpoint="+15555550101")
    sns.set_sms_attributes(attributes={"DefaultSenderID": "NUBIS", "DefaultSMSType": "Transactional"})
    sns.publish(TopicArn=topic, Message="via topic")
    sns.publish(PhoneNumber="+15555550102", Message="direct", MessageAttributes={
        "AWS.SNS.SMS.SMSType": {"DataType": "String", "StringValue": "Promotional"}})
    texts = {m["destination"]: m for m in inbox(nubis, "sms", 2)}
    assert texts["+15555550101"]["message"] == "via topic"
    assert texts["+15555550101"]["senderId"] == "NUBIS"
    assert texts["+15555550101"]["smsType"] == "Transactional"
    assert texts["+15555550102"]["message"] == "direct"
    assert texts["+15555550102"]["smsType"] == "Promotional"
    with pytest.raises(ClientError) as info:
        sns.publish(PhoneNumber="12ab", Message="x")
    assert error(info) == ("InvalidParameter", "Invalid parameter: PhoneNumber Reason: 12ab is not valid to "
                                               "publish to", 400)


def test_opt_out_and_opt_in(nubis, sns):
    phone = "+15555550199"
    assert sns.check_if_phone_number_is_opted_out(phoneNumber=phone)["isOptedOut"] is False
    post(nubis, "/_nubis/sns/sms/opt-out", {"phoneNumber": phone})  # the recipient replied STOP
    assert sns.check_if_phone_number_is_opted_out(phoneNumber=phone)["isOptedOut"] is True
    assert sns.list_phone_numbers_opted_out()["phoneNumbers"] == [phone]
    sns.publish(PhoneNumber=phone, Message="not delivered")
    nubis.advance(0)
    assert inbox(nubis, "sms") == []
    sns.opt_in_phone_number(phoneNumber=phone)
    assert sns.list_phone_numbers_opted_out()["phoneNumbers"] == []
    sns.publish(PhoneNumber=phone, Message="delivered")
    assert [m["message"] for m in inbox(nubis, "sms", 1)] == ["delivered"]


def test_sms_attributes(sns):
    sns.set_sms_attributes(attributes={"MonthlySpendLimit": "10", "DefaultSMSType": "Promotional"})
    assert sns.get_sms_attributes()["attributes"] == {"MonthlySpendLimit": "10", "DefaultSMSType": "Promotional"}
    assert sns.get_sms_attributes(attributes=["MonthlySpendLimit"])["attributes"] == {"MonthlySpendLimit": "10"}
    with pytest.raises(ClientError) as info:
        sns.set_sms_attributes(attributes={"DefaultSMSType": "Loud"})
    assert error(info)[0] == "InvalidParameter"


def test_sms_sandbox(nubis, sns):
    assert sns.get_sms_sandbox_account_status()["IsInSandbox"] is False
    phone = "+15555550123"
    sns.create_sms_sandbox_phone_number(PhoneNumber=phone)
    assert sns.list_sms_sandbox_phone_numbers()["PhoneNumbers"] == [{"PhoneNumber": phone, "Status": "Pending"}]
    (text,) = inbox(nubis, "sms", 1)
    with pytest.raises(ClientError) as info:
        sns.verify_sms_sandbox_phone_number(PhoneNumber=phone, OneTimePassword="000000" if text["otp"] != "000000"
                                            else "111111")
    assert error(info)[0] == "VerificationException"
    sns.verify_sms_sandbox_phone_number(PhoneNumber=phone, OneTimePassword=text["otp"])
    assert sns.list_sms_sandbox_phone_numbers()["PhoneNumbers"][0]["Status"] == "Verified"
    sns.delete_sms_sandbox_phone_number(PhoneNumber=phone)
    with pytest.raises(ClientError) as info:
        sns.delete_sms_sandbox_phone_number(PhoneNumber=phone)
    assert error(info)[0] == "ResourceNotFound"
    assert sns.list_origination_numbers()["PhoneNumbers"] == []


def test_platform_applications_and_endpoints(nubis, sns):
    app = sns.create_platform_application(Name="my-app", Platform="GCM",
                                          Attributes={"PlatformCredential": "server-key"})["PlatformApplicationArn"]
    assert app == "arn:aws:sns:us-east-1:000000000000:app/GCM/my-app"
    attrs = sns.get_platform_application_attributes(PlatformApplicationArn=app)["Attributes"]
    assert "PlatformCredential" not in attrs and attrs["Enabled"] == "true"
    sns.set_platform_application_attributes(PlatformApplicationArn=app,
                                            Attributes={"EventEndpointCreated": "arn:aws:sns:us-east-1:0:x"})
    listed = sns.list_platform_applications()["PlatformApplications"]
    assert [a["PlatformApplicationArn"] for a in listed] == [app]

    ep = sns.create_platform_endpoint(PlatformApplicationArn=app, Token="device-1",
                                      CustomUserData="user 7")["EndpointArn"]
    assert ep.startswith("arn:aws:sns:us-east-1:000000000000:endpoint/GCM/my-app/")
    assert sns.create_platform_endpoint(PlatformApplicationArn=app, Token="device-1",
                                        CustomUserData="user 7")["EndpointArn"] == ep
    with pytest.raises(ClientError) as info:
        sns.create_platform_endpoint(PlatformApplicationArn=app, Token="device-1", CustomUserData="other")
    assert "already exists with the same Token, but different attributes" in error(info)[1]
    assert sns.get_endpoint_attributes(EndpointArn=ep)["Attributes"] == {
        "Enabled": "true", "Token": "device-1", "CustomUserData": "user 7"}
    (listed,) = sns.list_endpoints_by_platform_application(PlatformApplicationArn=app)["Endpoints"]
    assert listed["EndpointArn"] == ep

    # Direct publish to the endpoint, with a platform-specific payload.
    sns.publish(TargetArn=ep, MessageStructure="json",
                Message=json.dumps({"default": "hi", "GCM": json.dumps({"notification": {"title": "hi"}})}))
    (push,) = inbox(nubis, "application", 1)
    assert push["destination"] == ep and push["token"] == "device-1" and push["platform"] == "GCM"
    assert json.loads(push["message"]) == {"notification": {"title": "hi"}}

    # A topic subscription of the endpoint gets the default text.
    topic = sns.create_topic(Name="t")["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="application", Endpoint=ep)
    sns.publish(TopicArn=topic, Message="to all devices")
    assert inbox(nubis, "application", 2)[-1]["message"] == "to all devices"

    sns.set_endpoint_attributes(EndpointArn=ep, Attributes={"Enabled": "false"})
    with pytest.raises(ClientError) as info:
        sns.publish(TargetArn=ep, Message="x")
    assert error(info) == ("EndpointDisabled", "Endpoint is disabled", 400)

    sns.delete_endpoint(EndpointArn=ep)
    sns.delete_endpoint(EndpointArn=ep)
    with pytest.raises(ClientError) as info:
        sns.get_endpoint_attributes(EndpointArn=ep)
    assert error(info) == ("NotFound", "Endpoint does not exist", 404)
    with pytest.raises(ClientError) as info:
        sns.publish(TargetArn=ep, Message="x")
    assert error(info)[1] == "Invalid parameter: TargetArn Reason: No endpoint found for the target arn specified"
    sns.delete_platform_application(PlatformApplicationArn=app)
    with pytest.raises(ClientError) as info:
        sns.get_platform_application_attributes(PlatformApplicationArn=app)
    assert error(info) == ("NotFound", "PlatformApplication does not exist", 404)


@pytest.mark.parametrize("platform, attributes, fragment", [
    ("SMOKE", {"PlatformCredential": "x"}, "Invalid parameter: Platform"),
    ("GCM", {}, "PlatformCredential"),
    ("APNS", {"PlatformCredential": "key"}, "PlatformPrincipal"),
])
def test_create_platform_application_errors(sns, platform, attributes, fragment):
    with pytest.raises(ClientError) as info:
        sns.create_platform_application(Name="a", Platform=platform, Attributes=attributes)
    assert error(info)[0] == "InvalidParameter" and fragment in error(info)[1]


def test_inbox_can_be_cleared(nubis, sns):
    sns.publish(PhoneNumber="+15555550100", Message="x")
    inbox(nubis, "sms", 1)
    req = urllib.request.Request(nubis.endpoint + "/_nubis/sns/inbox", method="DELETE")
    urllib.request.urlopen(req, timeout=10).read()
    assert inbox(nubis, "sms") == []
