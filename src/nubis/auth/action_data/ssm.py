"""AWS Systems Manager (parameters ``arn:aws:ssm:r:acct:parameter/name``, documents)."""
PREFIX = "ssm"
ACTIONS: dict = {}
_PARAM = "arn:aws:ssm:{region}:{account}:parameter/{bare}"
PARAMS = [("ResourceId", _PARAM), ("Name", _PARAM), ("Names[]", _PARAM), ("Path", _PARAM)]
_DOC = [("Name", "arn:aws:ssm:{region}:{account}:document/{value}")]
RESOURCES = {**{op: _DOC for op in ("CreateDocument", "DeleteDocument", "DescribeDocument", "GetDocument",
                                    "UpdateDocument", "ListDocumentVersions", "DescribeDocumentPermission",
                                    "ModifyDocumentPermission", "UpdateDocumentDefaultVersion")},
             "DescribeParameters": []}
