"""Amazon CloudWatch Logs (log group ARNs end in ``:*``; a stream's is under its group)."""
PREFIX = "logs"
ACTIONS: dict = {}
_GROUP = "arn:aws:logs:{region}:{account}:log-group:{value}:*"
PARAMS = [("logGroupIdentifier", _GROUP), ("logGroupName", _GROUP), ("resourceArn", None),
          ("destinationName", "arn:aws:logs:{region}:{account}:destination:{value}")]
_STREAM = [("logStreamName", "arn:aws:logs:{region}:{account}:log-group:*:log-stream:{value}")]
RESOURCES = {"DescribeLogGroups": [], "StartQuery": [("logGroupNames[]", _GROUP), ("logGroupName", _GROUP),
                                                     ("logGroupIdentifiers[]", _GROUP)]}
