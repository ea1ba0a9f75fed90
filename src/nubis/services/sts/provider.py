"""AWS Security Token Service."""
from __future__ import annotations

from ...auth.credentials import root_arn
from ..base import Provider, RequestContext


class StsProvider(Provider):
    service = "sts"

    def get_caller_identity(self, ctx: RequestContext, params: dict) -> dict:
        # Without IAM, every key acts as its account's root user, whose
        # UserId is the account id.
        arn = ctx.principal or root_arn(ctx.account, ctx.region)
        return {"UserId": ctx.account, "Account": ctx.account, "Arn": arn}
