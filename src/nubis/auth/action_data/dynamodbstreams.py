"""Amazon DynamoDB Streams (its actions are ``dynamodb:``; a stream ARN is a table's)."""
PREFIX = "dynamodb"
ACTIONS: dict = {}
PARAMS = [("StreamArn", None), ("TableName", "arn:aws:dynamodb:{region}:{account}:table/{value}")]
RESOURCES = {"GetRecords": [], "ListStreams": [("TableName", "arn:aws:dynamodb:{region}:{account}:table/{value}/stream/*")]}
