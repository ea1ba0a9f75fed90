"""Amazon DynamoDB Streams (its actions are ``dynamodb:``; a stream ARN is a table's)."""
PREFIX = "dynamodb"
ACTIONS: dict = {}
PARAMS = [("StreamArn", None), ("TableName", "arn:aws:dynamodb:{region}:{account}:table/{value}")]
RESOURCES: dict = {"ListStreams": []}


def checks(runtime, ctx, params: dict, action: str):
    """GetRecords names its stream only in the iterator, which begins with the stream's ARN."""
    if ctx.operation != "GetRecords":
        return None
    arn = str(params.get("ShardIterator") or "").split("|", 1)[0]
    return [(action, arn if arn.startswith("arn:aws:dynamodb:") else "*", None)]
