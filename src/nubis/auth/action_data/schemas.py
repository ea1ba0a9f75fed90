"""Amazon EventBridge Schemas (registry, schema, discoverer ARNs)."""
PREFIX = "schemas"
ACTIONS: dict = {}
PARAMS = [("ResourceArn", None), ("DiscovererId", "arn:aws:schemas:{region}:{account}:discoverer/{value}"),
          ("RegistryName", "arn:aws:schemas:{region}:{account}:registry/{value}")]
_SCHEMA = [("SchemaName", "arn:aws:schemas:{region}:{account}:schema/{RegistryName}/{value}")]
RESOURCES: dict = {op: _SCHEMA for op in (
    "CreateSchema", "DeleteSchema", "DeleteSchemaVersion", "DescribeSchema", "UpdateSchema", "ExportSchema",
    "GetCodeBindingSource", "PutCodeBinding", "DescribeCodeBinding", "ListSchemaVersions")}
