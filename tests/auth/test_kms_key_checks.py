"""A KMS key given to another service must exist and be enabled when the service
uses it: SQS's SendMessage (KmsNotFound, KmsDisabled), SNS's Publish
(KMSNotFound, KMSDisabled); AWS managed aliases (alias/aws/sqs) always work."""
from __future__ import annotations

from .conftest import error_of


def test_sqs_queue_with_a_missing_or_disabled_key(client):
    sqs, kms = client("sqs"), client("kms")
    managed = sqs.create_queue(QueueName="managed", Attributes={"KmsMasterKeyId": "alias/aws/sqs"})["QueueUrl"]
    sqs.send_message(QueueUrl=managed, MessageBody="ok")
    # The queue takes any key id (as AWS's CreateQueue does); sending needs the key.
    url = sqs.create_queue(QueueName="q", Attributes={"KmsMasterKeyId": "alias/nope"})["QueueUrl"]
    e = error_of(sqs.send_message, QueueUrl=url, MessageBody="x")
    assert (e["Code"], e["Status"]) == ("KmsNotFound", 400)
    assert "alias/nope" in e["Message"]
    assert error_of(sqs.send_message_batch, QueueUrl=url, Entries=[{"Id": "1", "MessageBody": "x"}])[
        "Code"] == "KmsNotFound"
    key = kms.create_key()["KeyMetadata"]
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"KmsMasterKeyId": key["KeyId"]})
    sqs.send_message(QueueUrl=url, MessageBody="x")
    kms.disable_key(KeyId=key["KeyId"])
    e = error_of(sqs.send_message, QueueUrl=url, MessageBody="x")
    assert (e["Code"], e["Status"]) == ("KmsDisabled", 400)
    assert e["Message"] == f"{key['Arn']} is disabled."
    kms.enable_key(KeyId=key["KeyId"])
    kms.create_alias(AliasName="alias/queues", TargetKeyId=key["KeyId"])
    sqs.set_queue_attributes(QueueUrl=url, Attributes={"KmsMasterKeyId": "alias/queues"})
    sqs.send_message(QueueUrl=url, MessageBody="y")


def test_sns_topic_with_a_missing_key(client):
    sns, kms = client("sns"), client("kms")
    topic = sns.create_topic(Name="t", Attributes={"KmsMasterKeyId": "alias/aws/sns"})["TopicArn"]
    sns.publish(TopicArn=topic, Message="ok")
    missing = "arn:aws:kms:us-east-1:000000000000:key/00000000-0000-0000-0000-000000000000"
    sns.set_topic_attributes(TopicArn=topic, AttributeName="KmsMasterKeyId", AttributeValue=missing)
    e = error_of(sns.publish, TopicArn=topic, Message="x")
    assert (e["Code"], e["Status"]) == ("KMSNotFound", 400)
    assert error_of(sns.publish_batch, TopicArn=topic, PublishBatchRequestEntries=[{"Id": "1", "Message": "x"}])[
        "Code"] == "KMSNotFound"
    key = kms.create_key()["KeyMetadata"]
    sns.set_topic_attributes(TopicArn=topic, AttributeName="KmsMasterKeyId", AttributeValue=key["Arn"])
    sns.publish(TopicArn=topic, Message="ok")
    kms.schedule_key_deletion(KeyId=key["KeyId"], PendingWindowInDays=7)
    e = error_of(sns.publish, TopicArn=topic, Message="x")
    assert e["Code"] == "KMSInvalidState" and e["Message"] == f"{key['Arn']} is pending deletion."


def test_s3_put_and_copy_with_a_named_kms_key(client):
    s3, kms = client("s3"), client("kms")
    s3.create_bucket(Bucket="enc")
    # The bucket's default takes any key id (PutBucketEncryption does not look the key up).
    s3.put_bucket_encryption(Bucket="enc", ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "alias/later"}}]})
    e = error_of(s3.put_object, Bucket="enc", Key="a", Body=b"x", ServerSideEncryption="aws:kms",
                 SSEKMSKeyId="alias/nope")
    assert (e["Code"], e["Status"], e["Message"]) == ("KMS.NotFoundException", 400, "Invalid keyId alias/nope")
    key = kms.create_key()["KeyMetadata"]
    s3.put_object(Bucket="enc", Key="a", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"])
    s3.put_object(Bucket="enc", Key="b", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId="alias/aws/s3")
    e = error_of(s3.copy_object, Bucket="enc", Key="c", CopySource="enc/a", ServerSideEncryption="aws:kms",
                 SSEKMSKeyId="1234abcd-12ab-34cd-56ef-1234567890ab")
    assert e["Code"] == "KMS.NotFoundException"
    assert error_of(s3.create_multipart_upload, Bucket="enc", Key="m", ServerSideEncryption="aws:kms",
                    SSEKMSKeyId="alias/nope")["Code"] == "KMS.NotFoundException"
    kms.disable_key(KeyId=key["KeyId"])
    e = error_of(s3.put_object, Bucket="enc", Key="a", Body=b"x", ServerSideEncryption="aws:kms",
                 SSEKMSKeyId=key["Arn"])
    assert (e["Code"], e["Status"]) == ("KMS.DisabledException", 400)
