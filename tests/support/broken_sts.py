"""A test-only STS whose GetCallerIdentity raises, as a provider bug would: what
the robustness sweep (tests/robustness) must report. Loaded through the
``providers`` setting; its other operations are not implemented."""
from nubis.services.base import Provider


class BrokenSts(Provider):
    service = "sts"

    def get_caller_identity(self, ctx, params):
        raise KeyError("a provider bug")
