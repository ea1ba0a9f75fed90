"""Centralized root access for an organization's member accounts (``ListOrganizationsFeatures``,
``Enable``/``Disable`` ``OrganizationsRootCredentialsManagement`` and ``OrganizationsRootSessions``).

These manage a feature of an AWS Organizations organization from its management
account. nubis has no Organizations, so no account belongs to an organization:
each operation answers as IAM does for an account outside one.
"""
from __future__ import annotations

from ...protocol.errors import ServiceError


def organization_not_found() -> ServiceError:
    return ServiceError("OrganizationNotFoundException", "The request was rejected because no organization is "
                        "associated with your account.", 400)


class OrganizationsMixin:
    """Operations of ``IamProvider``."""

    def list_organizations_features(self, ctx, params):
        raise organization_not_found()

    def enable_organizations_root_credentials_management(self, ctx, params):
        raise organization_not_found()

    def disable_organizations_root_credentials_management(self, ctx, params):
        raise organization_not_found()

    def enable_organizations_root_sessions(self, ctx, params):
        raise organization_not_found()

    def disable_organizations_root_sessions(self, ctx, params):
        raise organization_not_found()
