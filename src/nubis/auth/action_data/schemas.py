"""Amazon EventBridge Schemas (registry, schema, discoverer ARNs)."""
PREFIX = "schemas"
ACTIONS: dict = {}
PARAMS = [("ResourceArn", None), ("DiscovererId", "arn:aws:schemas:{region}:{account}:discoverer/{value}"),
          ("RegistryName", "arn:aws:schemas:{region}:{account}:registry/{value}")]
RESOURCES: dict = {}
