"""The enforcing nubis and helpers of tests/iam, for STS."""
from iam.conftest import client, cloud, enforcing, iam, user  # noqa: F401  (fixtures)
