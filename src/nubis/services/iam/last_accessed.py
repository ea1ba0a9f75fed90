"""Service last accessed data (access advisor) and the Organizations access report.

``GenerateServiceLastAccessedDetails`` makes a report job for a user, group,
role or managed policy; nubis completes it at once, with the services the
entity's policies allow (``service_namespaces.py``), as they are when the job
is made. nubis does not record which services a principal actually called,
so ``LastAuthenticated`` and its entity and Region are left out, as IAM
leaves them out for a service nothing attempted to access in the tracking
period.

nubis has no Organizations: an Organizations access report job is made
(IAM answers with a job id) and completes as FAILED, with the reason, as
``GetOrganizationsAccessReport`` reports a failed job.
"""
from __future__ import annotations

import re
import uuid

from .entities import invalid, no_such, validation
from .paging import page
from .service_namespaces import allowed, name_of, served

_ENTITY_ARN = re.compile(r"arn:[^:]+:iam::(\d{12}|aws):(user|group|role|policy)(/(?:.*/)?)([^/]+)$")
_ORG_PATH = re.compile(r"^o-[0-9a-z]{10,32}\/r-[0-9a-z]{4,32}[0-9a-z-\/]*")
_LABEL = {"user": "USER", "group": "GROUP", "role": "ROLE"}


def _job_id(value) -> str:
    if not isinstance(value, str) or len(value) != 36:
        raise validation(value, "jobId", "Member must have length greater than or equal to 36"
                         if not isinstance(value, str) or len(value) < 36 else
                         "Member must have length less than or equal to 36")
    return value


class LastAccessedMixin:
    """Operations of ``IamProvider``."""

    def _report_entity(self, ctx, arn) -> tuple[str, dict | None, str | None]:
        """(kind, the entity's document, the managed policy's text) an ARN names."""
        m = _ENTITY_ARN.match(arn or "")
        if m is None:
            raise invalid(f"ARN {arn} is not valid.")
        kind = m.group(2)
        if kind == "policy":
            text = self.managed_document(ctx.account, arn)
            if text is None:
                raise no_such(f"Policy {arn} does not exist or is not attachable.")
            return kind, None, text
        found = self.entity_by_arn(arn)
        if found is None or found[0] != ctx.account:
            raise no_such(f"The {kind} with name {m.group(4)} cannot be found.")
        return kind, found[2], None

    def _entity_info(self, kind: str, doc: dict) -> dict:
        field = {"user": "User", "group": "Group", "role": "Role"}[kind]
        return {"EntityInfo": {"Arn": doc["Arn"], "Name": doc[f"{field}Name"], "Type": _LABEL[kind],
                               "Id": doc[f"{field}Id"], "Path": doc["Path"]}}

    def _users_and_roles_with(self, ctx, arn: str) -> list[tuple[str, dict]]:
        """The users and roles a managed policy applies to: attached to them or to a group of the user."""
        groups = {g["GroupName"].lower() for g in self.store.all(ctx.account, "group") if arn in g["_attached"]}
        out = [("user", u) for u in self.store.all(ctx.account, "user")
               if arn in u["_attached"] or groups.intersection(u["_groups"])]
        return out + [("role", r) for r in self.store.all(ctx.account, "role") if arn in r["_attached"]]

    def generate_service_last_accessed_details(self, ctx, params):
        arn = params.get("Arn")
        granularity = params.get("Granularity") or "SERVICE_LEVEL"
        if granularity not in ("SERVICE_LEVEL", "ACTION_LEVEL"):
            raise validation(granularity, "granularity",
                             "Member must satisfy enum value set: [SERVICE_LEVEL, ACTION_LEVEL]")
        kind, entity, text = self._report_entity(ctx, arn)
        if kind == "policy":
            policies = [text]
            entities = self._users_and_roles_with(ctx, arn)
        elif kind == "user":
            policies = [p for p in self.user_policies(ctx.account, entity) if isinstance(p, str)]
            entities = [("user", entity)]
        elif kind == "group":
            policies = self._own_policies(ctx.account, entity)
            key = entity["GroupName"].lower()
            entities = [("user", u) for u in self.store.all(ctx.account, "user") if key in u["_groups"]]
        else:
            policies = self._own_policies(ctx.account, entity)
            entities = [("role", entity)]
        universe = served(self.runtime.catalogue)
        namespaces = sorted(allowed(policies, set(universe)))
        now = self.clock.now()
        job_id = str(uuid.uuid4())
        self.store.put(ctx.account, "accessjob", job_id, {
            "Arn": arn, "JobType": granularity, "JobCreationDate": now, "JobCompletionDate": now,
            "Services": [[ns, name_of(universe.get(ns, ns))] for ns in namespaces],
            "Entities": sorted((self._entity_info(k, e) for k, e in entities),
                               key=lambda e: (e["EntityInfo"]["Type"], e["EntityInfo"]["Name"].lower()))})
        return {"JobId": job_id}

    def _access_job(self, ctx, params) -> dict:
        job_id = _job_id(params.get("JobId"))
        job = self.store.get(ctx.account, "accessjob", job_id)
        if job is None:
            raise no_such(f"Job with ID {job_id} does not exist.")
        return job

    def get_service_last_accessed_details(self, ctx, params):
        job = self._access_job(ctx, params)
        # No access is recorded: no LastAuthenticated, and no principal authenticated to any service.
        services = [{"ServiceName": name, "ServiceNamespace": ns, "TotalAuthenticatedEntities": 0}
                    for ns, name in job["Services"]]
        out = page(services, params, "ServicesLastAccessed")
        out.update({"JobStatus": "COMPLETED", "JobType": job["JobType"], "JobCreationDate": job["JobCreationDate"],
                    "JobCompletionDate": job["JobCompletionDate"]})
        return out

    def get_service_last_accessed_details_with_entities(self, ctx, params):
        job = self._access_job(ctx, params)
        ns = params.get("ServiceNamespace")
        if not isinstance(ns, str) or not re.fullmatch(r"[\w-]{1,64}", ns):
            raise validation(ns, "serviceNamespace", "Member must satisfy regular expression pattern: [\\w-]*")
        entities = job["Entities"] if any(s[0] == ns for s in job["Services"]) else []
        out = page(list(entities), params, "EntityDetailsList")
        out.update({"JobStatus": "COMPLETED", "JobCreationDate": job["JobCreationDate"],
                    "JobCompletionDate": job["JobCompletionDate"]})
        return out

    # -- Organizations ---------------------------------------------------------------------------

    def generate_organizations_access_report(self, ctx, params):
        path = params.get("EntityPath")
        if not isinstance(path, str) or not 19 <= len(path) <= 427 or not _ORG_PATH.match(path):
            raise validation(path, "entityPath", "Member must satisfy regular expression pattern: "
                             "^o-[0-9a-z]{10,32}\\/r-[0-9a-z]{4,32}[0-9a-z-\\/]*")
        policy_id = params.get("OrganizationsPolicyId")
        if policy_id is not None and not re.fullmatch(r"^p-[0-9a-zA-Z_]{8,128}$", str(policy_id)):
            raise validation(policy_id, "organizationsPolicyId", "Member must satisfy regular expression "
                             "pattern: ^p-[0-9a-zA-Z_]{8,128}$")
        now = self.clock.now()
        job_id = str(uuid.uuid4())
        self.store.put(ctx.account, "orgjob", job_id, {"EntityPath": path, "JobCreationDate": now})
        return {"JobId": job_id}

    def get_organizations_access_report(self, ctx, params):
        job_id = _job_id(params.get("JobId"))
        job = self.store.get(ctx.account, "orgjob", job_id)
        if job is None:
            raise no_such(f"Job with ID {job_id} does not exist.")
        sort = params.get("SortKey")
        if sort is not None and sort not in ("SERVICE_NAMESPACE_ASCENDING", "SERVICE_NAMESPACE_DESCENDING",
                                             "LAST_AUTHENTICATED_TIME_ASCENDING",
                                             "LAST_AUTHENTICATED_TIME_DESCENDING"):
            raise validation(sort, "sortKey", "Member must satisfy enum value set: [SERVICE_NAMESPACE_ASCENDING, "
                             "SERVICE_NAMESPACE_DESCENDING, LAST_AUTHENTICATED_TIME_ASCENDING, "
                             "LAST_AUTHENTICATED_TIME_DESCENDING]")
        return {"JobStatus": "FAILED", "JobCreationDate": job["JobCreationDate"],
                "JobCompletionDate": job["JobCreationDate"], "IsTruncated": False,
                "ErrorDetails": {"Code": "OrganizationNotFoundException",
                                 "Message": "The request was rejected because no organization is associated "
                                            "with your account."}}
