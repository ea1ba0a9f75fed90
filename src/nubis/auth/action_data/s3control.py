"""Amazon S3 Control (``s3:`` actions on access points, jobs and the account)."""
PREFIX = "s3"
ERROR_CODE = "AccessDenied"
ACTIONS: dict = {"ListAccessPoints": "s3:ListAccessPoints", "GetPublicAccessBlock": "s3:GetAccountPublicAccessBlock",
                 "PutPublicAccessBlock": "s3:PutAccountPublicAccessBlock",
                 "DeletePublicAccessBlock": "s3:PutAccountPublicAccessBlock",
                 "DescribeJob": "s3:DescribeJob", "ListJobs": "s3:ListJobs"}
_AP = "arn:aws:s3:{region}:{account}:accesspoint/{value}"
PARAMS = [("Name", _AP), ("JobId", "arn:aws:s3:{region}:{account}:job/{value}")]
RESOURCES: dict = {}
