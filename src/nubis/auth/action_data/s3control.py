"""Amazon S3 Control (``s3:`` actions on access points, jobs and the account)."""
PREFIX = "s3"
ERROR_CODE = "AccessDenied"
ACTIONS: dict = {"ListAccessPoints": "s3:ListAccessPoints", "GetPublicAccessBlock": "s3:GetAccountPublicAccessBlock",
                 "PutPublicAccessBlock": "s3:PutAccountPublicAccessBlock",
                 "DeletePublicAccessBlock": "s3:PutAccountPublicAccessBlock",
                 "DescribeJob": "s3:DescribeJob", "ListJobs": "s3:ListJobs"}
# Every operation names the account it acts in (AccountId).
_AP = "arn:aws:s3:{region}:{AccountId}:accesspoint/{value}"
PARAMS = [("Name", _AP), ("JobId", "arn:aws:s3:{region}:{AccountId}:job/{value}")]
RESOURCES: dict = {}
