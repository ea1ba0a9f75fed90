"""nubis: a local AWS cloud in one Python process."""
__version__ = "0.1.0"


def running(**kwargs):
    """Start an ephemeral nubis on a free port for the ``with`` block.

    ``AWS_ENDPOINT_URL`` and dummy credentials are set inside the block, so
    boto3 clients made there talk to it. See ``nubis.testing``.
    """
    from .testing import running as _running

    return _running(**kwargs)
