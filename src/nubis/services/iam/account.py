"""The account: its alias, password policy, summary, authorization details and credential report."""
from __future__ import annotations

import re

from ...protocol.errors import ServiceError
from . import documents, managed, report
from .entities import exists, no_such, public, validation
from .paging import page


class AccountMixin:
    """Operations of ``IamProvider``."""

    # -- the account -----------------------------------------------------------------------------

    def create_account_alias(self, ctx, params):
        alias = params.get("AccountAlias") or ""
        if not re.fullmatch(r"^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$", alias):
            raise validation(alias, "accountAlias", "Member must satisfy regular expression pattern: "
                             "^[a-z0-9]([a-z0-9]|-(?!-)){1,61}[a-z0-9]$")
        for other in self.store.entities:
            if other[1] == "alias" and other[0] != ctx.account and alias in self.store.entities[other]:
                raise exists(f"The account alias {alias} already exists.")
        for old in self.store.all(ctx.account, "alias"):
            self.store.delete(ctx.account, "alias", old["AccountAlias"])
        self.store.put(ctx.account, "alias", alias, {"AccountAlias": alias})
        return {}

    def delete_account_alias(self, ctx, params):
        alias = params.get("AccountAlias")
        if self.store.get(ctx.account, "alias", alias or "") is None:
            raise no_such(f"The account alias {alias} cannot be found.")
        self.store.delete(ctx.account, "alias", alias)
        return {}

    def list_account_aliases(self, ctx, params):
        return page([a["AccountAlias"] for a in self.store.all(ctx.account, "alias")], params, "AccountAliases")

    def update_account_password_policy(self, ctx, params):
        doc = {"MinimumPasswordLength": params.get("MinimumPasswordLength") or 8}
        for flag in ("RequireSymbols", "RequireNumbers", "RequireUppercaseCharacters",
                     "RequireLowercaseCharacters", "AllowUsersToChangePassword", "HardExpiry"):
            doc[flag] = bool(params.get(flag))
        if params.get("MaxPasswordAge"):
            doc["MaxPasswordAge"] = params["MaxPasswordAge"]
        if params.get("PasswordReusePrevention"):
            doc["PasswordReusePrevention"] = params["PasswordReusePrevention"]
        doc["ExpirePasswords"] = bool(doc.get("MaxPasswordAge"))
        if not 6 <= doc["MinimumPasswordLength"] <= 128:
            raise validation(doc["MinimumPasswordLength"], "minimumPasswordLength",
                             "Member must have value between 6 and 128")
        self.store.put(ctx.account, "password", "policy", doc)
        return {}

    def get_account_password_policy(self, ctx, params):
        doc = self.store.get(ctx.account, "password", "policy")
        if doc is None:
            raise no_such(f"The Password Policy with domain name {ctx.account} cannot be found.")
        return {"PasswordPolicy": doc}

    def delete_account_password_policy(self, ctx, params):
        if self.store.get(ctx.account, "password", "policy") is None:
            raise no_such(f"The Password Policy with domain name {ctx.account} cannot be found.")
        self.store.delete(ctx.account, "password", "policy")
        return {}

    def get_account_summary(self, ctx, params):
        count = lambda kind: len(self.store.all(ctx.account, kind))  # noqa: E731
        return {"SummaryMap": {
            "Users": count("user"), "UsersQuota": 5000, "Groups": count("group"), "GroupsQuota": 300,
            "Roles": count("role"), "RolesQuota": 1000, "Policies": count("policy"), "PoliciesQuota": 1500,
            "InstanceProfiles": count("profile"), "InstanceProfilesQuota": 1000,
            "ServerCertificates": count("cert"), "ServerCertificatesQuota": 20,
            "MFADevices": count("mfa"), "MFADevicesInUse": sum(bool(d.get("_user"))
                                                               for d in self.store.all(ctx.account, "mfa")),
            "Providers": count("oidc") + count("saml"), "AccountMFAEnabled": 0,
            "AccountAccessKeysPresent": 0, "AccountSigningCertificatesPresent": 0,
            "GroupsPerUserQuota": 10, "AttachedPoliciesPerUserQuota": 10, "AttachedPoliciesPerGroupQuota": 10,
            "AttachedPoliciesPerRoleQuota": 10, "PolicySizeQuota": 6144, "PolicyVersionsInUse":
                sum(len(p["_versions"]) for p in self.store.all(ctx.account, "policy")),
            "PolicyVersionsInUseQuota": 10000, "VersionsPerPolicyQuota": 5, "AccessKeysPerUserQuota": 2,
            "UserPolicySizeQuota": 2048, "GroupPolicySizeQuota": 5120, "SigningCertificatesPerUserQuota": 2,
            "AssumeRolePolicySizeQuota": 2048, "GlobalEndpointTokenVersion":
                2 if (self.store.get(ctx.account, "settings", "sts") or {}).get(
                    "GlobalEndpointTokenVersion") == "v2Token" else 1}}

    def get_account_authorization_details(self, ctx, params):
        wanted = set(params.get("Filter") or ["User", "Role", "Group", "LocalManagedPolicy", "AWSManagedPolicy"])
        inline = lambda e: [{"PolicyName": n, "PolicyDocument": documents.encoded(t)}  # noqa: E731
                            for n, t in sorted(e["_inline"].items())]
        attached = lambda e: [{"PolicyName": a.rsplit("/", 1)[1], "PolicyArn": a}  # noqa: E731
                              for a in e["_attached"]]
        out = {"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": [],
               "IsTruncated": False}
        if "User" in wanted:
            for u in sorted(self.store.all(ctx.account, "user"), key=lambda u: u["UserName"].lower()):
                groups = [self.store.get(ctx.account, "group", g) for g in u["_groups"]]
                out["UserDetailList"].append({**public(u), "UserPolicyList": inline(u),
                                              "GroupList": [g["GroupName"] for g in groups if g],
                                              "AttachedManagedPolicies": attached(u)})
        if "Group" in wanted:
            for g in sorted(self.store.all(ctx.account, "group"), key=lambda g: g["GroupName"].lower()):
                out["GroupDetailList"].append({**public(g), "GroupPolicyList": inline(g),
                                               "AttachedManagedPolicies": attached(g)})
        if "Role" in wanted:
            profiles = self.store.all(ctx.account, "profile")
            for r in sorted(self.store.all(ctx.account, "role"), key=lambda r: r["RoleName"].lower()):
                key = r["RoleName"].lower()
                out["RoleDetailList"].append({
                    **self._role_out(r), "RolePolicyList": inline(r), "AttachedManagedPolicies": attached(r),
                    "InstanceProfileList": [self._profile_out(ctx, p) for p in profiles if key in p["_roles"]]})
        policies = []
        if "AWSManagedPolicy" in wanted:
            for n in sorted(managed.POLICIES):
                arn = managed.arn_of(n)
                if self._attachments(ctx.account, arn):
                    p = managed.policy(n, self._attachments(ctx.account, arn))
                    p["PolicyVersionList"] = [{"Document": documents.encoded(managed.document(n)), "VersionId": "v1",
                                               "IsDefaultVersion": True, "CreateDate": managed.CREATED}]
                    policies.append(p)
        if "LocalManagedPolicy" in wanted:
            for doc in sorted(self.store.all(ctx.account, "policy"), key=lambda p: p["PolicyName"].lower()):
                p = self._policy_out(ctx.account, doc)
                p["PolicyVersionList"] = [self._version_out(doc, v) for v in doc["_versions"]]
                policies.append(p)
        out["Policies"] = policies
        return out

    # -- credential report -----------------------------------------------------------------------

    def generate_credential_report(self, ctx, params):
        existing = self.store.get(ctx.account, "report", "credentials")
        content = report.build(self, ctx)
        self.store.put(ctx.account, "report", "credentials", {"content": content, "generated": self.clock.now()})
        # The first request starts a report (IAM answers STARTED); it is ready at once here.
        return {"State": "COMPLETE" if existing else "STARTED",
                "Description": "No report exists. Starting a new report generation task" if not existing else
                "Report generated"}

    def get_credential_report(self, ctx, params):
        doc = self.store.get(ctx.account, "report", "credentials")
        if doc is None:
            raise ServiceError("ReportNotPresent", "Credential report not present. Call "
                               "GenerateCredentialReport and try again.", 410)
        if self.clock.now() - doc["generated"] > 4 * 3600:
            raise ServiceError("ReportExpired", "The request was rejected because the most recent credential "
                               "report has expired. To generate a new credential report, use "
                               "GenerateCredentialReport.", 410)
        return {"Content": doc["content"].encode(), "ReportFormat": "text/csv", "GeneratedTime": doc["generated"]}
