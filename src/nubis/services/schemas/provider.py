"""Amazon EventBridge Schemas: registries, schemas and their versions,
discoverers, registry policies and tags, stored (operations in the API
reference's order). ``GetDiscoveredSchema`` infers an OpenAPI 3 or JSON
Schema draft 4 document from sample events; events seen on a bus with a
STARTED discoverer become schemas in ``discovered-schemas`` (``discovery.py``).
Code bindings are generated from a version's content (``code_bindings.py``).

Every resource is a JSON document in one table, keyed by kind and name; a
schema version is a row of its own (``<registry>/<schema>/<version>``).
"""
from __future__ import annotations

import base64
import json
import re
import secrets
import uuid

from ...protocol.errors import ServiceError
from ..base import Provider, RequestContext
from ..events.validation import check
from .code_bindings import CODE_BINDING, CodeBindings
from .discovery import Discovery

MIGRATIONS = ["""
CREATE TABLE schemas_resources (
    kind TEXT NOT NULL,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    arn TEXT NOT NULL,
    doc TEXT NOT NULL,
    PRIMARY KEY (kind, account, region, name)
);
CREATE INDEX schemas_resources_arn ON schemas_resources(arn);
"""]

REGISTRY, SCHEMA, VERSION, DISCOVERER = "registry", "schema", "version", "discoverer"
TYPES = ("OpenApi3", "JSONSchemaDraft4")
NAME = re.compile(r"^[.\-_A-Za-z@0-9]{1,385}$")
MAX_CONTENT = 100_000
PAGE = 100


def bad_request(message: str) -> ServiceError:
    return ServiceError("BadRequestException", message, 400)


def not_found(message: str) -> ServiceError:
    return ServiceError("NotFoundException", message, 404)


def conflict(message: str) -> ServiceError:
    return ServiceError("ConflictException", message, 409)


def _tags(doc: dict) -> dict:
    return doc.get("Tags") or {}


class SchemasProvider(CodeBindings, Provider):
    service = "schemas"
    migrations = MIGRATIONS

    def start(self) -> None:
        self.discovery = Discovery(self)

    def reset(self) -> None:
        self.discovery.refresh()

    def handler(self, operation: str):
        """The operation, behind the model's input constraints (BadRequestException)."""
        try:
            return self._handlers[operation]
        except KeyError:
            fn = super().handler(operation)
            if fn is not None:
                inner = fn

                def fn(ctx, params, _op=operation, _fn=inner):
                    check(_op, params, "schemas", "BadRequestException")
                    return _fn(ctx, params)
            self._handlers[operation] = fn
            return fn

    # -- the table ------------------------------------------------------------------------------------

    def _get(self, kind: str, ctx: RequestContext, name: str) -> dict | None:
        row = self.db.query_one("SELECT doc FROM schemas_resources WHERE kind = ? AND account = ? AND region = ? "
                                "AND name = ?", (kind, ctx.account, ctx.region, name))
        return json.loads(row[0]) if row else None

    def _put(self, kind: str, ctx: RequestContext, name: str, arn: str, doc: dict) -> None:
        self.db.execute("INSERT INTO schemas_resources(kind, account, region, name, arn, doc) VALUES (?, ?, ?, ?, ?, ?) "
                        "ON CONFLICT(kind, account, region, name) DO UPDATE SET doc = excluded.doc",
                        (kind, ctx.account, ctx.region, name, arn, json.dumps(doc)))

    def _delete(self, kind: str, ctx: RequestContext, name: str, *, prefix: bool = False) -> None:
        if prefix:
            self.db.execute("DELETE FROM schemas_resources WHERE kind = ? AND account = ? AND region = ? "
                            "AND substr(name, 1, ?) = ?", (kind, ctx.account, ctx.region, len(name), name))
        else:
            self.db.execute("DELETE FROM schemas_resources WHERE kind = ? AND account = ? AND region = ? AND name = ?",
                            (kind, ctx.account, ctx.region, name))

    def _list(self, kind: str, ctx: RequestContext, prefix: str = "") -> list[dict]:
        rows = self.db.query("SELECT doc FROM schemas_resources WHERE kind = ? AND account = ? AND region = ? "
                             "AND substr(name, 1, ?) = ? ORDER BY name", (kind, ctx.account, ctx.region,
                                                                          len(prefix), prefix))
        return [json.loads(r[0]) for r in rows]

    def _arn(self, ctx: RequestContext, resource: str) -> str:
        return f"arn:aws:schemas:{ctx.region}:{ctx.account}:{resource}"

    @staticmethod
    def _page(items: list, params: dict, key: str) -> dict:
        after = ""
        if params.get("NextToken"):
            try:
                after = base64.urlsafe_b64decode(params["NextToken"].encode()).decode()
            except (ValueError, UnicodeDecodeError):
                raise bad_request("Invalid NextToken.") from None
        items = [i for i in items if i[key] > after]
        limit = params.get("Limit")
        limit = PAGE if limit is None else limit
        if limit < 1:
            raise bad_request("Limit must be a positive integer.")
        out = {}
        if len(items) > limit:
            items = items[:limit]
            out["NextToken"] = base64.urlsafe_b64encode(items[-1][key].encode()).decode()
        return {"items": items, **out}

    # -- registries -------------------------------------------------------------------------------------

    def _registry(self, ctx: RequestContext, name: str) -> dict:
        doc = self._get(REGISTRY, ctx, name)
        if doc is None:
            raise not_found(f"Registry with name {name} does not exist.")
        return doc

    def create_registry(self, ctx: RequestContext, params: dict) -> dict:
        name = params["RegistryName"]
        if not NAME.match(name) or name.startswith("aws."):
            raise bad_request(f"Invalid registry name: {name}.")
        if self._get(REGISTRY, ctx, name) is not None:
            raise conflict(f"Registry with name {name} already exists.")
        doc = {"RegistryName": name, "RegistryArn": self._arn(ctx, f"registry/{name}"),
               "Tags": params.get("Tags") or {}}
        if params.get("Description"):
            doc["Description"] = params["Description"]
        with self.db.transaction():
            self._put(REGISTRY, ctx, name, doc["RegistryArn"], doc)
        return doc

    def describe_registry(self, ctx: RequestContext, params: dict) -> dict:
        return self._registry(ctx, params["RegistryName"])

    def list_registries(self, ctx: RequestContext, params: dict) -> dict:
        if params.get("Scope") == "AWS":
            return {"Registries": []}  # AWS's own registries (aws.events) are not shipped
        docs = self._list(REGISTRY, ctx, params.get("RegistryNamePrefix") or "")
        page = self._page([{k: d[k] for k in ("RegistryArn", "RegistryName", "Tags")} for d in docs], params,
                          "RegistryName")
        return {"Registries": page.pop("items"), **page}

    def update_registry(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._registry(ctx, params["RegistryName"])
        if "Description" in params:
            doc["Description"] = params["Description"]
        with self.db.transaction():
            self._put(REGISTRY, ctx, doc["RegistryName"], doc["RegistryArn"], doc)
        return doc

    def delete_registry(self, ctx: RequestContext, params: dict) -> dict:
        name = self._registry(ctx, params["RegistryName"])["RegistryName"]
        with self.db.transaction():
            self._delete(REGISTRY, ctx, name)
            self._delete(SCHEMA, ctx, name + "/", prefix=True)
            self._delete(VERSION, ctx, name + "/", prefix=True)
            self._delete(CODE_BINDING, ctx, name + "/", prefix=True)
        return {}

    # -- registry policies ---------------------------------------------------------------------------------

    def put_resource_policy(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._registry(ctx, params.get("RegistryName") or "")
        policy = params["Policy"]
        if isinstance(policy, str):
            try:
                json.loads(policy)
            except ValueError:
                raise bad_request("Policy is not valid JSON.") from None
        if params.get("RevisionId") and params["RevisionId"] != doc.get("_revision"):
            raise ServiceError("PreconditionFailedException", "The revision id does not match.", 412)
        doc["_policy"] = policy if isinstance(policy, str) else json.dumps(policy)
        doc["_revision"] = str(uuid.uuid4())
        with self.db.transaction():
            self._put(REGISTRY, ctx, doc["RegistryName"], doc["RegistryArn"], doc)
        return {"Policy": doc["_policy"], "RevisionId": doc["_revision"]}

    def get_resource_policy(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._registry(ctx, params.get("RegistryName") or "")
        if not doc.get("_policy"):
            raise not_found(f"Resource policy for registry {doc['RegistryName']} does not exist.")
        return {"Policy": doc["_policy"], "RevisionId": doc["_revision"]}

    def delete_resource_policy(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._registry(ctx, params.get("RegistryName") or "")
        if not doc.pop("_policy", None):
            raise not_found(f"Resource policy for registry {doc['RegistryName']} does not exist.")
        doc.pop("_revision", None)
        with self.db.transaction():
            self._put(REGISTRY, ctx, doc["RegistryName"], doc["RegistryArn"], doc)
        return {}

    # -- schemas ------------------------------------------------------------------------------------------------

    def _schema(self, ctx: RequestContext, registry: str, name: str) -> dict:
        self._registry(ctx, registry)
        doc = self._get(SCHEMA, ctx, f"{registry}/{name}")
        if doc is None:
            raise not_found(f"Schema with name {name} does not exist.")
        return doc

    @staticmethod
    def _check_content(content: str, schema_type: str) -> None:
        if schema_type not in TYPES:
            raise bad_request(f"Invalid schema type: {schema_type}.")
        if len(content) > MAX_CONTENT:
            raise bad_request(f"Schema content is larger than {MAX_CONTENT} characters.")
        try:
            doc = json.loads(content)
        except ValueError:
            raise bad_request("Invalid schema content: it is not valid JSON.") from None
        if not isinstance(doc, dict):
            raise bad_request("Invalid schema content: it must be a JSON object.")
        if schema_type == "OpenApi3" and "openapi" not in doc:
            raise bad_request("Invalid OpenApi3 schema: the openapi field is missing.")

    def _new_version(self, ctx: RequestContext, schema: dict, content: str, schema_type: str) -> dict:
        now = self.clock.now()
        version = str(int(schema.get("SchemaVersion") or "0") + 1)
        schema.update({"SchemaVersion": version, "Type": schema_type, "LastModified": now,
                       "VersionCreatedDate": now, "VersionCount": schema.get("VersionCount", 0) + 1})
        row = {"SchemaVersion": version, "Type": schema_type, "Content": content, "VersionCreatedDate": now}
        key = f"{schema['_registry']}/{schema['SchemaName']}/{version}"
        self._put(VERSION, ctx, key, f"{schema['SchemaArn']}/{version}", row)
        return row

    def create_schema(self, ctx: RequestContext, params: dict) -> dict:
        registry, name = params["RegistryName"], params["SchemaName"]
        self._registry(ctx, registry)
        if not NAME.match(name):
            raise bad_request(f"Invalid schema name: {name}.")
        if self._get(SCHEMA, ctx, f"{registry}/{name}") is not None:
            raise conflict(f"Schema with name {name} already exists.")
        self._check_content(params["Content"], params["Type"])
        schema = {"SchemaName": name, "SchemaArn": self._arn(ctx, f"schema/{registry}/{name}"),
                  "Tags": params.get("Tags") or {}, "_registry": registry}
        if params.get("Description"):
            schema["Description"] = params["Description"]
        with self.db.transaction():
            self._new_version(ctx, schema, params["Content"], params["Type"])
            self._put(SCHEMA, ctx, f"{registry}/{name}", schema["SchemaArn"], schema)
        return self._schema_out(schema)

    @staticmethod
    def _schema_out(schema: dict, version: dict | None = None) -> dict:
        out = {k: v for k, v in schema.items() if not k.startswith("_") and k != "VersionCount"}
        if version is not None:
            out.update({"SchemaVersion": version["SchemaVersion"], "Type": version["Type"],
                        "Content": version["Content"], "VersionCreatedDate": version["VersionCreatedDate"]})
        return out

    def describe_schema(self, ctx: RequestContext, params: dict) -> dict:
        schema = self._schema(ctx, params["RegistryName"], params["SchemaName"])
        version = self._version(ctx, schema, params.get("SchemaVersion") or schema["SchemaVersion"])
        return self._schema_out(schema, version)

    def _version(self, ctx: RequestContext, schema: dict, version: str) -> dict:
        row = self._get(VERSION, ctx, f"{schema['_registry']}/{schema['SchemaName']}/{version}")
        if row is None:
            raise not_found(f"Schema version {version} does not exist.")
        return row

    def update_schema(self, ctx: RequestContext, params: dict) -> dict:
        schema = self._schema(ctx, params["RegistryName"], params["SchemaName"])
        current = self._version(ctx, schema, schema["SchemaVersion"])
        if "Description" in params:
            schema["Description"] = params["Description"]
        with self.db.transaction():
            content, schema_type = params.get("Content"), params.get("Type") or current["Type"]
            if content is not None and (content != current["Content"] or schema_type != current["Type"]):
                self._check_content(content, schema_type)
                self._new_version(ctx, schema, content, schema_type)
            else:
                schema["LastModified"] = self.clock.now()
            self._put(SCHEMA, ctx, f"{schema['_registry']}/{schema['SchemaName']}", schema["SchemaArn"], schema)
        return self._schema_out(schema)

    def delete_schema(self, ctx: RequestContext, params: dict) -> dict:
        schema = self._schema(ctx, params["RegistryName"], params["SchemaName"])
        key = f"{schema['_registry']}/{schema['SchemaName']}"
        with self.db.transaction():
            self._delete(SCHEMA, ctx, key)
            self._delete(VERSION, ctx, key + "/", prefix=True)
            self._delete(CODE_BINDING, ctx, key + "/", prefix=True)
        return {}

    def list_schemas(self, ctx: RequestContext, params: dict) -> dict:
        registry = params["RegistryName"]
        self._registry(ctx, registry)
        docs = self._list(SCHEMA, ctx, f"{registry}/{params.get('SchemaNamePrefix') or ''}")
        items = [{k: d[k] for k in ("LastModified", "SchemaArn", "SchemaName", "Tags", "VersionCount")} for d in docs]
        page = self._page(items, params, "SchemaName")
        return {"Schemas": page.pop("items"), **page}

    def list_schema_versions(self, ctx: RequestContext, params: dict) -> dict:
        schema = self._schema(ctx, params["RegistryName"], params["SchemaName"])
        rows = self._list(VERSION, ctx, f"{schema['_registry']}/{schema['SchemaName']}/")
        rows.sort(key=lambda r: int(r["SchemaVersion"]))
        items = [{"SchemaArn": schema["SchemaArn"], "SchemaName": schema["SchemaName"],
                  "SchemaVersion": r["SchemaVersion"], "Type": r["Type"], "_order": f"{int(r['SchemaVersion']):010d}"}
                 for r in rows]
        page = self._page(items, params, "_order")
        return {"SchemaVersions": [{k: v for k, v in i.items() if k != "_order"} for i in page.pop("items")], **page}

    def delete_schema_version(self, ctx: RequestContext, params: dict) -> dict:
        schema = self._schema(ctx, params["RegistryName"], params["SchemaName"])
        version = params["SchemaVersion"]
        self._version(ctx, schema, version)
        if version == schema["SchemaVersion"]:
            raise bad_request("The latest version of a schema cannot be deleted; delete the schema instead.")
        with self.db.transaction():
            self._delete(VERSION, ctx, f"{schema['_registry']}/{schema['SchemaName']}/{version}")
            self._delete(CODE_BINDING, ctx, f"{schema['_registry']}/{schema['SchemaName']}/{version}/", prefix=True)
            schema["VersionCount"] = max(1, schema.get("VersionCount", 1) - 1)
            self._put(SCHEMA, ctx, f"{schema['_registry']}/{schema['SchemaName']}", schema["SchemaArn"], schema)
        return {}

    def search_schemas(self, ctx: RequestContext, params: dict) -> dict:
        registry = params["RegistryName"]
        self._registry(ctx, registry)
        keywords = params["Keywords"].lower()
        out = []
        for schema in self._list(SCHEMA, ctx, registry + "/"):
            versions = self._list(VERSION, ctx, f"{registry}/{schema['SchemaName']}/")
            hit = keywords in schema["SchemaName"].lower() or any(keywords in v["Content"].lower() for v in versions)
            if hit:
                out.append({"RegistryName": registry, "SchemaArn": schema["SchemaArn"],
                            "SchemaName": schema["SchemaName"],
                            "SchemaVersions": [{"CreatedDate": v["VersionCreatedDate"], "SchemaVersion": v["SchemaVersion"],
                                                "Type": v["Type"]} for v in sorted(versions, key=lambda v: int(v["SchemaVersion"]))]})
        page = self._page(out, params, "SchemaName")
        return {"Schemas": page.pop("items"), **page}

    def export_schema(self, ctx: RequestContext, params: dict) -> dict:
        schema = self._schema(ctx, params["RegistryName"], params["SchemaName"])
        version = self._version(ctx, schema, params.get("SchemaVersion") or schema["SchemaVersion"])
        if params["Type"] != "JSONSchemaDraft4":
            raise bad_request(f"Invalid export type: {params['Type']}.")
        content = version["Content"]
        if version["Type"] == "OpenApi3":
            doc = json.loads(content)
            components = (doc.get("components") or {}).get("schemas") or {}
            root = components.get("AWSEvent") or next(iter(components.values()), {})
            exported = {"$schema": "http://json-schema.org/draft-04/schema#", **_draft4(root)}
            if len(components) > 1:
                exported["definitions"] = {k: _draft4(v) for k, v in components.items() if v is not root}
            content = json.dumps(exported)
        return {"Content": content, "SchemaArn": schema["SchemaArn"], "SchemaName": schema["SchemaName"],
                "SchemaVersion": version["SchemaVersion"], "Type": "JSONSchemaDraft4"}

    def get_discovered_schema(self, ctx: RequestContext, params: dict) -> dict:
        events = []
        for text in params["Events"]:
            try:
                events.append(json.loads(text))
            except ValueError:
                raise bad_request("Events must be valid JSON documents.") from None
        merged = _infer_many(events)
        if params["Type"] == "JSONSchemaDraft4":
            doc = {"$schema": "http://json-schema.org/draft-04/schema#", **merged}
        elif params["Type"] == "OpenApi3":
            doc = {"openapi": "3.0.0", "info": {"version": "1.0.0", "title": "Event"}, "paths": {},
                   "components": {"schemas": {"AWSEvent": _openapi(merged)}}}
        else:
            raise bad_request(f"Invalid schema type: {params['Type']}.")
        return {"Content": json.dumps(doc)}

    # -- discoverers --------------------------------------------------------------------------------------------

    def _discoverer(self, ctx: RequestContext, discoverer_id: str) -> dict:
        doc = self._get(DISCOVERER, ctx, discoverer_id)
        if doc is None:
            raise not_found(f"Discoverer with id {discoverer_id} does not exist.")
        return doc

    def create_discoverer(self, ctx: RequestContext, params: dict) -> dict:
        source = params["SourceArn"]
        if not re.match(r"^arn:aws[\w-]*:events:[a-z0-9-]+:\d{12}:event-bus/.+$", source):
            raise bad_request(f"Invalid SourceArn: {source}.")
        for other in self._list(DISCOVERER, ctx):
            if other["SourceArn"] == source:
                raise conflict(f"A discoverer for {source} already exists.")
        discoverer_id = f"events-event-bus-{source.rsplit('/', 1)[-1]}-{secrets.token_hex(4)}"[:255]
        doc = {"DiscovererId": discoverer_id, "DiscovererArn": self._arn(ctx, f"discoverer/{discoverer_id}"),
               "SourceArn": source, "State": "STARTED", "CrossAccount": params.get("CrossAccount", True),
               "Tags": params.get("Tags") or {}}
        if params.get("Description"):
            doc["Description"] = params["Description"]
        with self.db.transaction():
            self._put(DISCOVERER, ctx, discoverer_id, doc["DiscovererArn"], doc)
        self.discovery.refresh()
        return doc

    def describe_discoverer(self, ctx: RequestContext, params: dict) -> dict:
        return self._discoverer(ctx, params["DiscovererId"])

    def list_discoverers(self, ctx: RequestContext, params: dict) -> dict:
        docs = [d for d in self._list(DISCOVERER, ctx, params.get("DiscovererIdPrefix") or "")
                if d["SourceArn"].startswith(params.get("SourceArnPrefix") or "")]
        items = [{k: d[k] for k in ("DiscovererArn", "DiscovererId", "SourceArn", "State", "CrossAccount", "Tags")}
                 for d in docs]
        page = self._page(items, params, "DiscovererId")
        return {"Discoverers": page.pop("items"), **page}

    def update_discoverer(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._discoverer(ctx, params["DiscovererId"])
        for key in ("Description", "CrossAccount"):
            if key in params:
                doc[key] = params[key]
        with self.db.transaction():
            self._put(DISCOVERER, ctx, doc["DiscovererId"], doc["DiscovererArn"], doc)
        self.discovery.refresh()
        return doc

    def delete_discoverer(self, ctx: RequestContext, params: dict) -> dict:
        doc = self._discoverer(ctx, params["DiscovererId"])
        with self.db.transaction():
            self._delete(DISCOVERER, ctx, doc["DiscovererId"])
        self.discovery.refresh()
        return {}

    def start_discoverer(self, ctx: RequestContext, params: dict) -> dict:
        return self._discoverer_state(ctx, params["DiscovererId"], "STARTED")

    def stop_discoverer(self, ctx: RequestContext, params: dict) -> dict:
        return self._discoverer_state(ctx, params["DiscovererId"], "STOPPED")

    def _discoverer_state(self, ctx: RequestContext, discoverer_id: str, state: str) -> dict:
        doc = self._discoverer(ctx, discoverer_id)
        doc["State"] = state
        with self.db.transaction():
            self._put(DISCOVERER, ctx, doc["DiscovererId"], doc["DiscovererArn"], doc)
        self.discovery.refresh()
        return {"DiscovererId": doc["DiscovererId"], "State": state}

    # -- tags -------------------------------------------------------------------------------------------------------

    def _tagged(self, arn: str) -> tuple[str, str, str, str, dict]:
        row = self.db.query_one("SELECT kind, account, region, name, doc FROM schemas_resources WHERE arn = ? "
                                "AND kind != ?", (arn, VERSION))
        if row is None:
            raise not_found(f"Resource {arn} does not exist.")
        return row[0], row[1], row[2], row[3], json.loads(row[4])

    def _save_tagged(self, kind, account, region, name, arn, doc) -> None:
        with self.db.transaction():
            self.db.execute("UPDATE schemas_resources SET doc = ? WHERE kind = ? AND account = ? AND region = ? "
                            "AND name = ?", (json.dumps(doc), kind, account, region, name))

    def tag_resource(self, ctx: RequestContext, params: dict) -> dict:
        kind, account, region, name, doc = self._tagged(params["ResourceArn"])
        doc["Tags"] = {**_tags(doc), **params["Tags"]}
        self._save_tagged(kind, account, region, name, params["ResourceArn"], doc)
        return {}

    def untag_resource(self, ctx: RequestContext, params: dict) -> dict:
        kind, account, region, name, doc = self._tagged(params["ResourceArn"])
        doc["Tags"] = {k: v for k, v in _tags(doc).items() if k not in set(params["TagKeys"])}
        self._save_tagged(kind, account, region, name, params["ResourceArn"], doc)
        return {}

    def list_tags_for_resource(self, ctx: RequestContext, params: dict) -> dict:
        return {"Tags": _tags(self._tagged(params["ResourceArn"])[4])}


# -- schema inference ------------------------------------------------------------------------------------------------

def _infer(value) -> dict:
    if isinstance(value, bool):
        return {"type": "boolean"}
    if isinstance(value, int):
        return {"type": "integer"}
    if isinstance(value, float):
        return {"type": "number"}
    if isinstance(value, str):
        return {"type": "string"}
    if isinstance(value, list):
        items = _infer_many(value) if value else {}
        return {"type": "array", "items": items} if items else {"type": "array"}
    if isinstance(value, dict):
        return {"type": "object", "required": sorted(value), "properties": {k: _infer(v) for k, v in value.items()}}
    return {}  # null: any type


def _infer_many(values: list) -> dict:
    merged: dict = {}
    for v in values:
        merged = _merge(merged, _infer(v)) if merged else _infer(v)
    return merged


def _merge(a: dict, b: dict) -> dict:
    if a.get("type") != b.get("type"):
        if {a.get("type"), b.get("type")} == {"integer", "number"}:
            return {"type": "number"}
        return a or b
    if a.get("type") == "object":
        props = dict(a["properties"])
        for k, v in b["properties"].items():
            props[k] = _merge(props[k], v) if k in props else v
        return {"type": "object", "required": sorted(set(a["required"]) & set(b["required"])), "properties": props}
    if a.get("type") == "array" and "items" in b:
        return {"type": "array", "items": _merge(a.get("items") or {}, b["items"]) if a.get("items") else b["items"]}
    return a


def _openapi(schema: dict) -> dict:
    """A JSON Schema node as an OpenAPI 3 schema object (the same keywords, less $schema)."""
    return {k: v for k, v in schema.items() if k != "$schema"}


def _draft4(schema: dict) -> dict:
    """An OpenAPI 3 schema object as JSON Schema draft 4: ``#/components/schemas/X`` refs become
    ``#/definitions/X``, and ``nullable`` goes."""
    if isinstance(schema, dict):
        out = {}
        for k, v in schema.items():
            if k == "$ref" and isinstance(v, str):
                out[k] = v.replace("#/components/schemas/", "#/definitions/")
            elif k != "nullable":
                out[k] = _draft4(v)
        return out
    if isinstance(schema, list):
        return [_draft4(v) for v in schema]
    return schema
