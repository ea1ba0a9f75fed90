"""Amazon Data Firehose (delivery stream ARNs)."""
PREFIX = "firehose"
ACTIONS: dict = {}
PARAMS = [("DeliveryStreamName", "arn:aws:firehose:{region}:{account}:deliverystream/{value}")]
RESOURCES: dict = {}
