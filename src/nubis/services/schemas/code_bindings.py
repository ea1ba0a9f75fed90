"""Code bindings of a schema version: PutCodeBinding, DescribeCodeBinding and
GetCodeBindingSource (operations of the Schemas provider, a mixin).

A binding is a row (kind ``codebinding``, keyed ``<registry>/<schema>/<version>/<language>``)
holding when it was asked for. Its status is read from the clock: CREATE_IN_PROGRESS
for ``BUILD_SECONDS`` after PutCodeBinding, then CREATE_COMPLETE (what the
``CodeBindingExists`` waiter polls for). The source is generated from the schema
version's content when it is fetched (``codegen.py``): a version's content never
changes, so the same zip comes back every time and nothing large is stored.
"""
from __future__ import annotations

from ...protocol.errors import ServiceError
from ..base import RequestContext
from .codegen import LANGUAGES, generate

CODE_BINDING = "codebinding"
BUILD_SECONDS = 1.0


class CodeBindings:
    def _binding_request(self, ctx: RequestContext, params: dict):
        language = params["Language"]
        if language not in LANGUAGES:
            raise ServiceError("BadRequestException", f"Invalid language: {language}. Supported languages are {', '.join(LANGUAGES)}.", 400)
        schema = self._schema(ctx, params["RegistryName"], params["SchemaName"])
        version = self._version(ctx, schema, params.get("SchemaVersion") or schema["SchemaVersion"])
        key = f"{schema['_registry']}/{schema['SchemaName']}/{version['SchemaVersion']}/{language}"
        return schema, version, key

    def _binding_out(self, doc: dict) -> dict:
        done = self.clock.now() >= doc["CreationDate"] + BUILD_SECONDS
        return {"CreationDate": doc["CreationDate"], "LastModified": doc["LastModified"],
                "SchemaVersion": doc["SchemaVersion"], "Status": "CREATE_COMPLETE" if done else "CREATE_IN_PROGRESS"}

    def _binding(self, ctx: RequestContext, params: dict) -> tuple[dict, dict, dict]:
        schema, version, key = self._binding_request(ctx, params)
        doc = self._get(CODE_BINDING, ctx, key)
        if doc is None:
            raise _not_found(schema, version, params["Language"], "does not exist")
        return schema, version, doc

    def put_code_binding(self, ctx: RequestContext, params: dict) -> dict:
        schema, version, key = self._binding_request(ctx, params)
        doc = self._get(CODE_BINDING, ctx, key)
        if doc is None:  # asking again for a binding that exists (or is being made) changes nothing
            now = self.clock.now()
            doc = {"SchemaVersion": version["SchemaVersion"], "Language": params["Language"], "CreationDate": now,
                   "LastModified": now}
            with self.db.transaction():
                self._put(CODE_BINDING, ctx, key, f"{schema['SchemaArn']}/{version['SchemaVersion']}/"
                                                  f"{params['Language']}", doc)
        return self._binding_out(doc)

    def describe_code_binding(self, ctx: RequestContext, params: dict) -> dict:
        return self._binding_out(self._binding(ctx, params)[2])

    def get_code_binding_source(self, ctx: RequestContext, params: dict) -> dict:
        schema, version, doc = self._binding(ctx, params)
        if self._binding_out(doc)["Status"] != "CREATE_COMPLETE":
            raise _not_found(schema, version, params["Language"], "is still being generated")
        return {"Body": generate(params["Language"], version["Content"], version["Type"], schema["_registry"],
                                 schema["SchemaName"], version["SchemaVersion"])}


def _not_found(schema: dict, version: dict, language: str, why: str) -> ServiceError:
    return ServiceError("NotFoundException", f"Code binding for schema {schema['SchemaName']} version "
                                             f"{version['SchemaVersion']} in language {language} {why}.", 404)
