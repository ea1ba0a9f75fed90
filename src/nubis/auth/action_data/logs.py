"""Amazon CloudWatch Logs (log group ARNs end in ``:*``; a stream's is under its group)."""
PREFIX = "logs"
ACTIONS: dict = {}
_GROUP = "arn:aws:logs:{region}:{account}:log-group:{value}:*"
PARAMS = [("logGroupIdentifier", _GROUP), ("logGroupName", _GROUP), ("resourceArn", None),
          ("destinationName", "arn:aws:logs:{region}:{account}:destination:{value}")]
# A stream's operations act on the stream, under its group.
_STREAM = [("logStreamName", "arn:aws:logs:{region}:{account}:log-group:{logGroupName}:log-stream:{value}"),
           ("logGroupName", _GROUP), ("logGroupIdentifier", _GROUP)]
RESOURCES = {**{op: _STREAM for op in ("PutLogEvents", "GetLogEvents", "DeleteLogStream")},
             "DescribeLogGroups": [], "StartQuery": [("logGroupNames[]", _GROUP), ("logGroupName", _GROUP),
                                                     ("logGroupIdentifiers[]", _GROUP)]}
