"""Account policies, and the data protection and field index policies of one
log group, as PutAccountPolicy, PutDataProtectionPolicy and PutIndexPolicy
describe them: documents checked for the shape the reference gives, stored
and returned.

nubis keeps these policies but does not act on them: events are not masked,
account-level subscription filters do not deliver, fields are not indexed
(Logs Insights scans every event anyway). DescribeFieldIndexes reports the
indexed fields found in a group's recent events.
A mixin of ``LogsProvider`` (``self.store``, ``self._now()``, ``self._group_from_arn_or_name``).
"""
from __future__ import annotations

import json
import re

from . import filter_pattern, insights
from . import validation as v

ACCOUNT_POLICY, DATA_PROTECTION, INDEX_POLICY = "account-policy", "data-protection-policy", "index-policy"
POLICY_TYPES = ("DATA_PROTECTION_POLICY", "SUBSCRIPTION_FILTER_POLICY", "FIELD_INDEX_POLICY", "TRANSFORMER_POLICY",
                "METRIC_EXTRACTION_POLICY")
GROUP_IDENTIFIER = re.compile(r"[\w#+=/:,.@-]*")
MAX_DATA_PROTECTION = 30_720
MAX_SELECTION_CRITERIA = 25_600
# (without selection criteria, with) account policies of a type an account may have.
POLICY_LIMITS = {"DATA_PROTECTION_POLICY": (1, 0), "SUBSCRIPTION_FILTER_POLICY": (1, 1),
                 "FIELD_INDEX_POLICY": (1, 40), "TRANSFORMER_POLICY": (1, 20), "METRIC_EXTRACTION_POLICY": (1, 5)}
# Which selection criteria each type takes: the first word of the criteria.
CRITERIA_FIELDS = {"SUBSCRIPTION_FILTER_POLICY": ("LogGroupName",),
                   "FIELD_INDEX_POLICY": ("LogGroupNamePrefix", "DataSourceName"),
                   "TRANSFORMER_POLICY": ("LogGroupNamePrefix",),
                   "METRIC_EXTRACTION_POLICY": ("LogGroupName", "LogGroupNamePrefix")}
MAX_INDEX_FIELDS = 20
INDEX_TYPES = ("FIELD_INDEX", "FACET")
# The fields CloudWatch Logs indexes in every Standard log group.
DEFAULT_INDEXES = ("@logStream", "@aws.region", "@aws.account", "@source.log", "traceId")
FIELD_SAMPLE = 10_000


def data_protection_document(text: str, member: str = "policyDocument") -> None:
    """An Audit statement with a FindingsDestination and a Deidentify statement with an empty
    MaskConfig, over the same DataIdentifier list."""
    if len(text) > MAX_DATA_PROTECTION:
        raise v.invalid(f"The {member} can be up to {MAX_DATA_PROTECTION} characters long.")
    doc = _json_object(text, member)
    statements = doc.get("Statement")
    if not isinstance(statements, list) or len(statements) != 2 or not all(isinstance(s, dict) for s in statements):
        raise v.invalid("A data protection policy must contain exactly two statements: one with an Audit "
                        "operation and one with a Deidentify operation.")
    operations = [s.get("Operation") if isinstance(s.get("Operation"), dict) else {} for s in statements]
    audit = next((s for s, op in zip(statements, operations) if "Audit" in op), None)
    deidentify = next((s for s, op in zip(statements, operations) if "Deidentify" in op), None)
    if audit is None or deidentify is None or audit is deidentify:
        raise v.invalid("A data protection policy must contain one statement with an Audit operation and one "
                        "with a Deidentify operation.")
    for s in statements:
        ids = s.get("DataIdentifier")
        if not isinstance(ids, list) or not ids or not all(isinstance(i, str) for i in ids):
            raise v.invalid("Each statement of a data protection policy must have a non-empty DataIdentifier "
                            "array.")
    if audit["DataIdentifier"] != deidentify["DataIdentifier"]:
        raise v.invalid("The DataIdentifier arrays of the Audit and Deidentify statements must match exactly.")
    if not isinstance(audit["Operation"]["Audit"], dict) or \
            not isinstance(audit["Operation"]["Audit"].get("FindingsDestination"), dict):
        raise v.invalid("The Audit operation must contain a FindingsDestination object.")
    deid = deidentify["Operation"]["Deidentify"]
    if not isinstance(deid, dict) or deid.get("MaskConfig") != {}:
        raise v.invalid("The Deidentify operation must contain an empty MaskConfig object.")


def index_fields(text: str, member: str = "policyDocument") -> dict[str, str]:
    """The fields an index policy names, with their types (Fields are FIELD_INDEX)."""
    doc = _json_object(text, member)
    fields: dict[str, str] = {}
    plain = doc.get("Fields", [])
    typed = doc.get("FieldsV2", {})
    if not isinstance(plain, list) or not all(isinstance(f, str) for f in plain) or not isinstance(typed, dict):
        raise v.invalid("Fields must be an array of field names and FieldsV2 an object of field names.")
    for name in plain:
        fields[name] = "FIELD_INDEX"
    for name, spec in typed.items():
        if name in fields:
            raise v.invalid(f"Field {name} is in both Fields and FieldsV2; they must be mutually exclusive.")
        kind = spec.get("type") if isinstance(spec, dict) else None
        if kind not in INDEX_TYPES:
            raise v.invalid(f"The type of field {name} must be one of FIELD_INDEX or FACET.")
        fields[name] = kind
    if not fields:
        raise v.invalid("The policy document must include at least one field index.")
    if len(fields) > MAX_INDEX_FIELDS:
        raise v.limit_exceeded(f"An index policy can include at most {MAX_INDEX_FIELDS} fields.")
    for name in fields:
        if not 1 <= len(name) <= 100:
            raise v.invalid(f"Field index name {name[:100]} must be 1 to 100 characters long.")
    return fields


def _json_object(text: str, member: str) -> dict:
    try:
        doc = json.loads(text)
    except ValueError:
        doc = None
    if not isinstance(doc, dict):
        raise v.invalid(f"The {member} is not a valid JSON object.")
    return doc


def _prefix_of(criteria: str | None) -> str | None:
    """The prefix of ``LogGroupNamePrefix IN ["..."]`` criteria (the first one), else None."""
    if not criteria or not criteria.startswith("LogGroupNamePrefix"):
        return None
    found = re.search(r'"([^"]*)"', criteria)
    return found.group(1) if found else None


class Policies:
    # -- account policies -----------------------------------------------------------------

    def put_account_policy(self, ctx, params: dict) -> dict:
        name = v.required(params, "policyName")
        document = v.required(params, "policyDocument")
        kind = v.required(params, "policyType")
        if kind not in POLICY_TYPES:
            raise v.constraint(kind, "policyType", f"Member must satisfy enum value set: [{', '.join(POLICY_TYPES)}]")
        scope = params.get("scope") or "ALL"
        if scope != "ALL":
            raise v.constraint(scope, "scope", "Member must satisfy enum value set: [ALL]")
        if not name or name.lower().startswith("aws/"):
            raise v.invalid("The policy name must not be empty and cannot start with aws/.")
        criteria = params.get("selectionCriteria")
        if criteria is not None:
            if kind not in CRITERIA_FIELDS:
                raise v.invalid(f"selectionCriteria is not supported for policyType {kind}.")
            if len(criteria.encode()) > MAX_SELECTION_CRITERIA:
                raise v.invalid("The selectionCriteria can be up to 25KB long.")
            if criteria.split(" ", 1)[0] not in CRITERIA_FIELDS[kind]:
                raise v.invalid(f"Invalid selectionCriteria for {kind}: supported filters are "
                                f"{', '.join(CRITERIA_FIELDS[kind])}.")
        self._check_account_policy_document(kind, document)
        others = [p for p in self.store.configs(ctx.account, ctx.region, ACCOUNT_POLICY)
                  if p["policyType"] == kind and p["policyName"] != name]
        unscoped, scoped = POLICY_LIMITS[kind]
        same_kind = [p for p in others if (p.get("selectionCriteria") is None) == (criteria is None)]
        if len(same_kind) >= (unscoped if criteria is None else scoped):
            raise v.limit_exceeded(f"The account has reached its limit of {kind} account policies.")
        prefix = _prefix_of(criteria)
        if prefix is not None and any((p2 := _prefix_of(p.get("selectionCriteria"))) is not None and
                                      (p2.startswith(prefix) or prefix.startswith(p2)) for p in others):
            raise v.invalid("The log group name prefixes of two account policies of one type cannot overlap.")
        policy = {"policyName": name, "policyDocument": document, "lastUpdatedTime": self._now(),
                  "policyType": kind, "scope": scope, "accountId": ctx.account}
        if criteria is not None:
            policy["selectionCriteria"] = criteria
        self.store.put_config(ctx.account, ctx.region, ACCOUNT_POLICY, f"{kind}/{name}", policy, self._now())
        return {"accountPolicy": policy}

    def _check_account_policy_document(self, kind: str, document: str) -> None:
        if kind == "DATA_PROTECTION_POLICY":
            data_protection_document(document)
            return
        if kind == "FIELD_INDEX_POLICY":
            index_fields(document)
            return
        doc = _json_object(document, "policyDocument")
        if kind == "SUBSCRIPTION_FILTER_POLICY":
            if not isinstance(doc.get("DestinationArn"), str) or not doc["DestinationArn"].startswith("arn:"):
                raise v.invalid("A subscription filter policy must name a DestinationArn.")
            if doc.get("Distribution", "ByLogStream") not in ("Random", "ByLogStream"):
                raise v.invalid("Distribution must be Random or ByLogStream.")
            pattern = doc.get("FilterPattern", "")
            try:
                filter_pattern.compile(pattern if isinstance(pattern, str) else None)
            except filter_pattern.PatternError as e:
                raise v.invalid(f"Invalid filter pattern: {e}") from None
        elif kind == "TRANSFORMER_POLICY":
            self._check_processors(doc.get("transformerConfig"), "transformerConfig")

    def describe_account_policies(self, ctx, params: dict) -> dict:
        kind = v.required(params, "policyType")
        if kind not in POLICY_TYPES:
            raise v.constraint(kind, "policyType", f"Member must satisfy enum value set: [{', '.join(POLICY_TYPES)}]")
        accounts = params.get("accountIdentifiers") or [ctx.account]
        name = params.get("policyName")
        policies = [p for account in accounts for p in self.store.configs(account, ctx.region, ACCOUNT_POLICY)
                    if p["policyType"] == kind and (name is None or p["policyName"] == name)]
        items, token = v.page(policies, params, 50, 50)
        out: dict = {"accountPolicies": items}
        if token is not None:
            out["nextToken"] = token
        return out

    def delete_account_policy(self, ctx, params: dict) -> dict:
        name = v.required(params, "policyName")
        kind = v.required(params, "policyType")
        if not self.store.delete_config(ctx.account, ctx.region, ACCOUNT_POLICY, f"{kind}/{name}"):
            raise v.not_found("account policy")
        return {}

    # -- data protection policies -------------------------------------------------------------

    def _identified_group(self, ctx, params: dict, member: str = "logGroupIdentifier"):
        ident = v.name(params, member, GROUP_IDENTIFIER, hi=2048)
        return ident, self._group_from_arn_or_name(ctx, ident.removesuffix(":*"))

    def put_data_protection_policy(self, ctx, params: dict) -> dict:
        ident, g = self._identified_group(ctx, params)
        document = v.required(params, "policyDocument")
        data_protection_document(document)
        now = self._now()
        policy = {"policyDocument": document, "lastUpdatedTime": now}
        self.store.put_config(g.account, g.region, DATA_PROTECTION, g.arn, policy, now, group_id=g.id)
        return {"logGroupIdentifier": ident, **policy}

    def get_data_protection_policy(self, ctx, params: dict) -> dict:
        ident, g = self._identified_group(ctx, params)
        policy = self.store.config(g.account, g.region, DATA_PROTECTION, g.arn) or {}
        return {"logGroupIdentifier": ident, **policy}

    def delete_data_protection_policy(self, ctx, params: dict) -> dict:
        _, g = self._identified_group(ctx, params)
        if not self.store.delete_config(g.account, g.region, DATA_PROTECTION, g.arn):
            raise v.not_found("data protection policy")
        return {}

    # -- field index policies ---------------------------------------------------------------------

    def put_index_policy(self, ctx, params: dict) -> dict:
        ident, g = self._identified_group(ctx, params)
        document = v.required(params, "policyDocument")
        if not 1 <= len(document) <= 51200:
            raise v.constraint("...", "policyDocument", "Member must have length less than or equal to 51200")
        index_fields(document)
        if g.cls != "STANDARD":
            raise v.invalid("Only log groups in the Standard log class support field index policies.")
        now = self._now()
        policy = {"logGroupIdentifier": ident, "lastUpdateTime": now, "policyDocument": document,
                  "source": "LOG_GROUP"}
        self.store.put_config(g.account, g.region, INDEX_POLICY, g.arn, policy, now, group_id=g.id)
        return {"indexPolicy": policy}

    def describe_index_policies(self, ctx, params: dict) -> dict:
        idents = v.required(params, "logGroupIdentifiers")
        if len(idents) != 1:
            raise v.constraint("[...]", "logGroupIdentifiers", "Member must have length less than or equal to 1")
        policies = []
        for ident in idents:
            g = self._group_from_arn_or_name(ctx, ident.removesuffix(":*"))
            policy = self._effective_index_policy(g)
            if policy is not None:
                policies.append({**policy, "logGroupIdentifier": ident})
        return {"indexPolicies": policies}

    def delete_index_policy(self, ctx, params: dict) -> dict:
        _, g = self._identified_group(ctx, params)
        if not self.store.delete_config(g.account, g.region, INDEX_POLICY, g.arn):
            raise v.not_found("index policy")
        return {}

    def _effective_index_policy(self, g) -> dict | None:
        """The group's own index policy, else the account-level one that applies to it (by name prefix)."""
        own = self.store.config(g.account, g.region, INDEX_POLICY, g.arn)
        if own is not None:
            return own
        for p in self.store.configs(g.account, g.region, ACCOUNT_POLICY):
            if p["policyType"] != "FIELD_INDEX_POLICY":
                continue
            criteria = p.get("selectionCriteria")
            prefix = _prefix_of(criteria)
            if criteria is None or (prefix is not None and g.name.startswith(prefix)):
                return {"lastUpdateTime": p["lastUpdatedTime"], "policyDocument": p["policyDocument"],
                        "policyName": p["policyName"], "source": "ACCOUNT"}
        return None

    def describe_field_indexes(self, ctx, params: dict) -> dict:
        idents = v.required(params, "logGroupIdentifiers")
        if not 1 <= len(idents) <= 100:
            raise v.constraint("[...]", "logGroupIdentifiers", "Member must have length less than or equal to 100")
        now = self._now()
        indexes = []
        for ident in idents:
            g = self._group_from_arn_or_name(ctx, ident.removesuffix(":*"))
            policy = self._effective_index_policy(g)
            wanted = dict.fromkeys(DEFAULT_INDEXES, "FIELD_INDEX")
            if policy is not None:
                wanted.update(index_fields(policy["policyDocument"]))
            seen: dict[str, list[int]] = {}
            lo = self._cutoff(g, now)
            for n, (_, ts, ingestion, message, stream) in enumerate(self.store.scan_group(g, lo, now + 7_200_000)):
                if n >= FIELD_SAMPLE:
                    break
                fields = insights.event_fields(ts, message, ingestion, stream, f"{g.account}:{g.name}")
                fields.update({"@aws.region": g.region, "@aws.account": g.account, "@source.log": g.name})
                for name in wanted:
                    if name in fields:
                        span = seen.setdefault(name, [ts, ts])
                        span[0], span[1] = min(span[0], ts), max(span[1], ts)
            for name, kind in wanted.items():
                if name in seen:
                    indexes.append({"logGroupIdentifier": ident, "fieldIndexName": name, "lastScanTime": now,
                                    "firstEventTime": seen[name][0], "lastEventTime": seen[name][1], "type": kind})
        items, token = v.page(indexes, params, 1000, 1000)
        out: dict = {"fieldIndexes": items}
        if token is not None:
            out["nextToken"] = token
        return out
