"""Amazon S3 Control (``s3:`` actions on access points, jobs and the account)."""
PREFIX = "s3"
ERROR_CODE = "AccessDenied"
ACTIONS: dict = {"ListAccessPoints": "s3:ListAccessPoints", "GetPublicAccessBlock": "s3:GetAccountPublicAccessBlock",
                 "PutPublicAccessBlock": "s3:PutAccountPublicAccessBlock",
                 "DeletePublicAccessBlock": "s3:PutAccountPublicAccessBlock",
                 "DescribeJob": "s3:DescribeJob", "ListJobs": "s3:ListJobs"}
# Every operation names the account it acts in (AccountId).
_AP = "arn:aws:s3:{region}:{AccountId}:accesspoint/{value}"
_GRANTS = "arn:aws:s3:{region}:{AccountId}:access-grants/default"
PARAMS = [("Name", _AP), ("JobId", "arn:aws:s3:{region}:{AccountId}:job/{value}"),
          ("ConfigId", "arn:aws:s3:{region}:{AccountId}:storage-lens/{value}"),
          ("AccessGrantId", _GRANTS + "/grant/{value}"), ("AccessGrantsLocationId", _GRANTS + "/location/{value}")]
# A Storage Lens group's operations name the group, not an access point; the Access
# Grants instance's operations act on the account's instance in the Region.
RESOURCES: dict = {**{op: [("Name", "arn:aws:s3:{region}:{AccountId}:storage-lens-group/{value}")]
                      for op in ("GetStorageLensGroup", "UpdateStorageLensGroup", "DeleteStorageLensGroup")},
                   **{op: [("", _GRANTS)] for op in (
                       "CreateAccessGrantsInstance", "GetAccessGrantsInstance", "DeleteAccessGrantsInstance",
                       "AssociateAccessGrantsIdentityCenter", "DissociateAccessGrantsIdentityCenter",
                       "PutAccessGrantsInstanceResourcePolicy", "GetAccessGrantsInstanceResourcePolicy",
                       "DeleteAccessGrantsInstanceResourcePolicy", "ListAccessGrants", "ListAccessGrantsLocations",
                       "CreateAccessGrantsLocation", "GetDataAccess", "ListCallerAccessGrants")}}
