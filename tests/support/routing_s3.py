"""A test-only S3 with no operations: every request answers 501 naming the
``s3:Operation`` it was routed to, which is what the routing tests read."""
from nubis.services.base import Provider


class RoutingS3(Provider):
    service = "s3"
