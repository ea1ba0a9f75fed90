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


def checks(runtime, ctx, params: dict, action: str):
    """GetRecords names its stream only in the iterator."""
    if ctx.operation != "GetRecords":
        return None
    from ...services.kinesis.sequence import read_iterator
    try:
        stream_id = read_iterator(params.get("ShardIterator") or "")[0]
    except Exception:
        return [(action, "*", None)]  # a forged iterator: the operation refuses it
    s = runtime.provider("kinesis").store.by_id.get(stream_id)
    arn = f"arn:aws:kinesis:{s.region}:{s.account}:stream/{s.name}" if s is not None else "*"
    return [(action, arn, None)]
