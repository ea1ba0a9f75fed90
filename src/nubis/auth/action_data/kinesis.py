"""Amazon Kinesis Data Streams (stream and consumer ARNs; a stream's resource policy)."""
PREFIX = "kinesis"
ACTIONS: dict = {}
_STREAM = "arn:aws:kinesis:{region}:{account}:stream/{value}"
PARAMS = [("ConsumerARN", None), ("StreamARN", None), ("ResourceARN", None), ("StreamName", _STREAM)]
# GetRecords/GetShardIterator by ARN only in their shard iterator: the stream is named by the iterator.
RESOURCES = {"RegisterStreamConsumer": [("StreamARN", None)],
             "DescribeStreamConsumer": [("ConsumerARN", None), ("StreamARN", None)],
             "DeregisterStreamConsumer": [("ConsumerARN", None), ("StreamARN", None)]}
POLICY = ("GetResourcePolicy", {"ResourceARN": "{arn}"}, "Policy")
