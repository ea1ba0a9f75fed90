"""AWS Lambda.

Operations follow the API reference. Functions run for real, on this machine,
without containers: each function version gets execution environments
(``environments.py``) that speak the Lambda Runtime API to nubis's own
runtime clients (``clients/``) or to a ``provided`` runtime's bootstrap.
Versions and aliases, permissions and concurrency, layers, and asynchronous
invocation live in mixins of their own.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import os
import random
import uuid

from ...protocol.errors import ServiceError
from ...protocol.wire import HttpResponse
from ...runtime.bodies import read_all
from ..base import Provider, RequestContext
from . import code as codes
from . import validation as v
from .async_invoke import AsyncInvokeMixin
from .capacity_provider_store import CapacityProviderStore
from .capacity_providers import CapacityProvidersMixin
from .durable import DurableMixin
from .durable_store import DurableStore
from .environments import Pool, Target, lambda_time
from .function_scaling import FunctionScalingMixin
from .layers import LayersMixin
from .logs import LogWriter
from .mappings import MappingsMixin
from .permissions import PermissionsMixin
from .settings import SettingsMixin
from .settings_store import SettingsStore
from .store import MIGRATIONS, Function, LambdaStore
from .streaming import StreamingMixin
from .urls import UrlsMixin
from .versions import LATEST_PUBLISHED, VersionsMixin

MAX_PAYLOAD = 6 * 1024 * 1024
MAX_EVENT_PAYLOAD = 1024 * 1024
IDLE_MINUTES = 10            # an environment unused this long is stopped (the setting's default)
ACCOUNT_CONCURRENCY = 1000
MAX_TAGS = 50


class LambdaProvider(VersionsMixin, PermissionsMixin, LayersMixin, AsyncInvokeMixin, UrlsMixin, StreamingMixin,
                     SettingsMixin, MappingsMixin, CapacityProvidersMixin, FunctionScalingMixin, DurableMixin,
                     Provider):
    service = "lambda"
    migrations = MIGRATIONS

    def start(self) -> None:
        self.store = LambdaStore(self.db)
        self.settings_store = SettingsStore(self.db)
        self.capacity_providers = CapacityProviderStore(self.db)
        self.durable = DurableStore(self.db)
        self.pool = Pool(self)
        self.logs = LogWriter(self.internal)
        self._secret = os.urandom(16)
        self._reaping = False
        self.idle_seconds = getattr(self.config, "lambda_idle_minutes", IDLE_MINUTES) * 60.0
        self.scheduler.on("lambda:reap", self._reap)
        self.start_async()
        self.start_mappings()
        self.start_durable()

    def reset(self) -> None:
        self.pollers.stop_all()
        self.pool.shutdown()
        self.store.clear_cache()
        self.settings_store.clear_cache()
        self.logs.forget()
        self._reaping = False
        self.reset_durable()

    async def stop(self) -> None:
        self.pollers.stop_all()
        self.pool.shutdown()
        await self.logs.stop()

    # -- environments ---------------------------------------------------------------------

    def environment_started(self) -> None:
        if not self._reaping:
            # One recurring timer looks for idle environments, on the controllable clock.
            self._reaping = True
            self.scheduler.after(60.0, "lambda:reap", {}, key="reap", every=60.0)

    def _reap(self, payload: dict) -> None:
        self.pool.reap(self.idle_seconds)
        if not self.pool.all:
            # Nothing left to watch: no timer while Lambda is not in use.
            self.scheduler.cancel("lambda:reap", "reap")
            self._reaping = False

    # -- names ------------------------------------------------------------------------------

    @staticmethod
    def arn(ctx: RequestContext, name: str) -> str:
        return f"arn:aws:lambda:{ctx.region}:{ctx.account}:function:{name}"

    def function(self, ctx: RequestContext, name_or_arn: str, qualifier: str | None = None,
                 allow_qualifier: bool = True) -> tuple[Function, str | None]:
        """The function a FunctionName names, and the qualifier (from the ARN or the parameter)."""
        _, _, name, in_arn = v.parse_name(name_or_arn)
        if in_arn and qualifier and in_arn != qualifier:
            raise v.invalid("The derived qualifier from the function name does not match the specified qualifier.")
        qualifier = qualifier or in_arn
        fn = self.store.get(ctx.account, ctx.region, name)
        if fn is None:
            arn = self.arn(ctx, name) + (f":{qualifier}" if qualifier else "")
            raise v.not_found(f"Function not found: {arn}")
        if qualifier and not allow_qualifier:
            raise v.invalid("Qualifier is not supported for this operation.")
        return fn, qualifier

    def resolve(self, ctx: RequestContext, fn: Function, qualifier: str | None,
                route: bool = False) -> tuple[str, dict, str]:
        """(version, configuration, code blob) a qualifier selects; ``route`` follows an
        alias's weights as Invoke does."""
        if not qualifier or qualifier == "$LATEST":
            return "$LATEST", fn.config, fn.code_blob
        if qualifier == LATEST_PUBLISHED:
            found = self.store.latest_published(fn)
            if found is None:
                raise v.not_found(f"Function not found: {fn.arn}:{qualifier}")
            return LATEST_PUBLISHED, found[0], found[1]
        version = qualifier
        if not qualifier.isdigit():
            alias = self.store.alias(fn, qualifier)
            if alias is None:
                raise v.not_found(f"Function not found: {fn.arn}:{qualifier}")
            version = alias["FunctionVersion"]
            weights = ((alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {})
            if route and weights:
                roll = random.random()
                for other, weight in weights.items():
                    if roll < weight:
                        version = other
                        break
                    roll -= weight
            if version == "$LATEST":
                return "$LATEST", fn.config, fn.code_blob
        found = self.store.version(fn, int(version))
        if found is None:
            raise v.not_found(f"Function not found: {fn.arn}:{qualifier}")
        return version, found[0], found[1]

    # -- code ---------------------------------------------------------------------------------

    async def _code(self, ctx: RequestContext, code: dict, operation: str) -> tuple[str, int, str]:
        """Store a package given inline or in S3: (blob, CodeSize, CodeSha256)."""
        data = code.get("ZipFile")
        if data is not None:
            if len(data) > codes.MAX_ZIPPED:
                raise ServiceError("RequestEntityTooLargeException",
                                   f"Request must be smaller than {codes.MAX_REQUEST} bytes for the {operation} "
                                   "operation", status=413, Type="User")
        elif code.get("S3Bucket") or code.get("S3Key"):
            data = await self._from_s3(ctx, code)
        elif code.get("ImageUri"):
            raise v.invalid("nubis does not run container image functions yet; use a .zip package.")
        else:
            raise v.invalid("Please provide a source for function code.")
        def store() -> tuple[str, int, str]:
            # Off the loop: reading the zip's directory, hashing and the fsync.
            codes.check_zip(data)
            return self.blobs.put(data), len(data), codes.digest(data)

        return await asyncio.to_thread(store)

    async def _from_s3(self, ctx: RequestContext, code: dict) -> bytes:
        params = {"Bucket": code.get("S3Bucket") or "", "Key": code.get("S3Key") or ""}
        if code.get("S3ObjectVersion"):
            params["VersionId"] = code["S3ObjectVersion"]
        try:
            out = await self.internal.call("s3", "GetObject", params, account=ctx.account, region=ctx.region,
                                           principal="lambda.amazonaws.com")
        except ServiceError as e:
            raise v.invalid(f"Error occurred while GetObject. S3 Error Code: {e.code}. S3 Error Message: "
                            f"{e.message}") from None
        return await read_all(out.get("Body"))

    def _drop_blobs(self, blobs) -> None:
        """Remove blobs no row names any more, once the rows' removal is durable."""
        async def later():
            await self.db.durable()
            for b in blobs:
                if not self.store.blob_in_use(b):
                    self.blobs.delete(b)
                    await asyncio.to_thread(codes.forget, self.pool.cache_root, b)
        asyncio.get_running_loop().create_task(later())

    def code_location(self, ctx: RequestContext, blob: str) -> str:
        expires = int(self.clock.now()) + 600
        token = hmac.new(self._secret, f"{blob}:{expires}".encode(), hashlib.sha256).hexdigest()
        host = ctx.request.headers.get("host") if ctx.request is not None else None
        base = f"http://{host or f'{self.config.hostname}:{self.config.port}'}"
        return f"{base}/_nubis/lambda/code/{blob}?X-Amz-Expires=600&Expires={expires}&Signature={token}"

    def nubis_api(self, method: str, path: str, query: dict, doc: dict):
        """``GET /_nubis/lambda/code/<blob>``: the package behind GetFunction's Code.Location."""
        if method != "GET" or not path.startswith("code/"):
            return None
        blob = path[len("code/"):]
        try:
            expires = int(query.get("Expires", "0"))
        except ValueError:
            expires = 0
        want = hmac.new(self._secret, f"{blob}:{expires}".encode(), hashlib.sha256).hexdigest()
        if not hmac.compare_digest(want.encode(), query.get("Signature", "").encode()) or self.clock.now() > expires:
            return HttpResponse(403, [("Content-Type", "application/xml")],
                                b"<Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>")
        if not self.store.blob_in_use(blob):
            return HttpResponse(404, [("Content-Type", "application/xml")],
                                b"<Error><Code>NoSuchKey</Code><Message>The specified key does not exist."
                                b"</Message></Error>")
        return HttpResponse(200, [("Content-Type", "application/zip")], self.blobs.get(blob))

    # -- configuration -------------------------------------------------------------------------

    def _layers(self, ctx: RequestContext, arns: list[str]) -> list[dict]:
        if len(arns) > 5:
            raise v.invalid("Cannot reference more than 5 layers.")
        out = []
        for arn in arns:
            found = self.layer_by_arn(ctx, arn)
            if found is None:
                raise v.invalid(f"Layer version {arn} does not exist.")
            out.append({"Arn": arn, "CodeSize": found[0]["Content"]["CodeSize"]})
        return out

    def _apply(self, ctx: RequestContext, cfg: dict, params: dict, creating: bool) -> None:
        """Validate and set the configuration members CreateFunction and
        UpdateFunctionConfiguration share."""
        if "Role" in params or creating:
            v.check_role(params.get("Role", ""))
            cfg["Role"] = params["Role"]
        if "Runtime" in params:
            v.check_runtime(params["Runtime"])
            cfg["Runtime"] = params["Runtime"]
        if "Handler" in params:
            v.check_handler(params["Handler"])
            cfg["Handler"] = params["Handler"]
        if "Description" in params:
            if len(params["Description"]) > 256:
                raise v.validation("description", params["Description"], "have length less than or equal to 256")
            cfg["Description"] = params["Description"]
        if "Timeout" in params:
            v.check_range("timeout", params["Timeout"], 1, 900)
            cfg["Timeout"] = params["Timeout"]
        if "MemorySize" in params:
            v.check_range("memorySize", params["MemorySize"], 128, 10240)
            cfg["MemorySize"] = params["MemorySize"]
        if "Environment" in params:
            v.check_environment(params["Environment"])
            variables = (params["Environment"] or {}).get("Variables") or {}
            cfg["Environment"] = {"Variables": dict(variables)}
        if "EphemeralStorage" in params:
            v.check_range("ephemeralStorage.size", params["EphemeralStorage"]["Size"], 512, 10240)
            cfg["EphemeralStorage"] = {"Size": params["EphemeralStorage"]["Size"]}
        if "Layers" in params:
            cfg["Layers"] = self._layers(ctx, params["Layers"] or [])
        if "TracingConfig" in params:
            cfg["TracingConfig"] = {"Mode": (params["TracingConfig"] or {}).get("Mode") or "PassThrough"}
        if "DeadLetterConfig" in params:
            cfg["DeadLetterConfig"] = dict(params["DeadLetterConfig"] or {})
        if "KMSKeyArn" in params:
            cfg["KMSKeyArn"] = params["KMSKeyArn"]
        if "VpcConfig" in params:
            vpc = params["VpcConfig"] or {}
            cfg["VpcConfig"] = {"SubnetIds": vpc.get("SubnetIds", []),
                                "SecurityGroupIds": vpc.get("SecurityGroupIds", []), "VpcId": ""}
        if "LoggingConfig" in params:
            logging_cfg = dict(cfg.get("LoggingConfig") or {})
            logging_cfg.update(params["LoggingConfig"] or {})
            for key, field, allowed in (("LogFormat", "loggingConfig.logFormat", ("JSON", "Text")),
                                        ("ApplicationLogLevel", "loggingConfig.applicationLogLevel",
                                         ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")),
                                        ("SystemLogLevel", "loggingConfig.systemLogLevel", ("DEBUG", "INFO", "WARN"))):
                if key in logging_cfg and logging_cfg[key] not in allowed:
                    raise v.validation(field, logging_cfg[key], f"satisfy enum value set: [{', '.join(allowed)}]")
            if logging_cfg.get("LogFormat") == "JSON":
                logging_cfg.setdefault("ApplicationLogLevel", "INFO")
                logging_cfg.setdefault("SystemLogLevel", "INFO")
            cfg["LoggingConfig"] = logging_cfg
        if "CapacityProviderConfig" in params:
            self.apply_capacity_provider_config(ctx, cfg, params["CapacityProviderConfig"])
        if "DurableConfig" in params:
            self.apply_durable_config(cfg, params["DurableConfig"], creating)
        if cfg.get("PackageType", "Zip") == "Zip" and (not cfg.get("Runtime") or not cfg.get("Handler")):
            raise v.invalid("Runtime and Handler are mandatory parameters for functions created with deployment "
                            "packages.")

    def _touch(self, cfg: dict) -> None:
        cfg["LastModified"] = lambda_time(self.clock.now())
        cfg["RevisionId"] = str(uuid.uuid4())

    @staticmethod
    def _pending(cfg: dict, creating: bool) -> dict:
        """The answer to a create or update: the state it is in while Lambda works
        (nubis has nothing to provision, so the stored state is the final one)."""
        out = dict(cfg)
        if creating:
            out.pop("LastUpdateStatus", None)
            out.update(State="Pending", StateReason="The function is being created.", StateReasonCode="Creating")
        else:
            out.update(LastUpdateStatus="InProgress", LastUpdateStatusReason="The function is being created.",
                       LastUpdateStatusReasonCode="Creating")
        return out

    # -- functions -----------------------------------------------------------------------------

    async def create_function(self, ctx: RequestContext, params: dict) -> dict:
        name = params["FunctionName"]
        _, _, name, qualifier = v.parse_name(name)
        if qualifier:
            raise v.invalid("Unsupported FunctionName: qualifiers are not allowed when creating a function.")
        package = params.get("PackageType") or "Zip"
        if package == "Image":
            raise v.invalid("nubis does not run container image functions yet; use a .zip package.")
        cfg: dict = {
            "FunctionName": name, "FunctionArn": self.arn(ctx, name), "Description": "", "Timeout": 3,
            "MemorySize": 128, "Version": "$LATEST", "TracingConfig": {"Mode": "PassThrough"},
            "PackageType": "Zip", "Architectures": v.check_architectures(params.get("Architectures")),
            "EphemeralStorage": {"Size": 512}, "SnapStart": {"ApplyOn": "None", "OptimizationStatus": "Off"},
            "LoggingConfig": {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{name}"},
        }
        self._apply(ctx, cfg, params, creating=True)
        publish_to = self.check_publish_to(params.get("PublishTo"))
        tags = params.get("Tags") or {}
        if len(tags) > MAX_TAGS:
            raise v.invalid("Number of tags exceeds resource tag limit.")
        if self.store.get(ctx.account, ctx.region, name) is not None:
            raise v.conflict(f"Function already exist: {name}")
        blob, size, sha = await self._code(ctx, params.get("Code") or {}, "CreateFunction")
        if self.store.get(ctx.account, ctx.region, name) is not None:  # created while we stored the code
            self._drop_blobs([blob])
            raise v.conflict(f"Function already exist: {name}")
        cfg.update(CodeSize=size, CodeSha256=sha, State="Active", LastUpdateStatus="Successful")
        cfg["RuntimeVersionConfig"] = {"RuntimeVersionArn": f"arn:aws:lambda:{ctx.region}::runtime:"
                                                            f"{hashlib.sha256(cfg['Runtime'].encode()).hexdigest()}"}
        self._touch(cfg)
        fn = Function(ctx.account, ctx.region, name, cfg, blob, dict(tags))
        with self.db.transaction():
            self.store.save(fn)
            if publish_to:
                self.publish_latest(fn, "")
            if params.get("Publish"):
                return self._pending(self.publish(fn, ""), creating=True)
        return self._pending(cfg, creating=True)

    def get_function(self, ctx: RequestContext, params: dict) -> dict:
        fn, qualifier = self.function(ctx, params["FunctionName"], params.get("Qualifier"))
        version, cfg, blob = self.resolve(ctx, fn, qualifier)
        out = {"Configuration": cfg,
               "Code": {"RepositoryType": "S3", "Location": self.code_location(ctx, blob)}}
        if fn.tags:
            out["Tags"] = dict(fn.tags)
        if fn.reserved is not None:
            out["Concurrency"] = {"ReservedConcurrentExecutions": fn.reserved}
        return out

    def get_function_configuration(self, ctx: RequestContext, params: dict) -> dict:
        fn, qualifier = self.function(ctx, params["FunctionName"], params.get("Qualifier"))
        return self.resolve(ctx, fn, qualifier)[1]

    def list_functions(self, ctx: RequestContext, params: dict) -> dict:
        limit = params.get("MaxItems") or 50
        v.check_range("maxItems", limit, 1, 10000)
        marker = params.get("Marker") or ""
        after = ""
        if marker:
            try:
                after = base64.urlsafe_b64decode(marker.encode()).decode()
            except (ValueError, UnicodeDecodeError):
                raise v.invalid("Invalid marker.") from None
        fns = self.store.list(ctx.account, ctx.region, after, limit + 1)
        more = len(fns) > limit
        fns = fns[:limit]
        out: list[dict] = []
        for fn in fns:
            out.append(fn.config)
            if params.get("FunctionVersion") == "ALL":
                out.extend(c for c, _ in self.store.versions(fn))
        result = {"Functions": out}
        if more:
            result["NextMarker"] = base64.urlsafe_b64encode(fns[-1].name.encode()).decode()
        return result

    def delete_function(self, ctx: RequestContext, params: dict) -> dict:
        fn, qualifier = self.function(ctx, params["FunctionName"], params.get("Qualifier"))
        if qualifier == "$LATEST":
            raise v.invalid("$LATEST version cannot be deleted without deleting the function.")
        if qualifier:
            if not qualifier.isdigit():
                raise v.invalid("Deletion of aliases is not currently supported.")
            found = self.store.version(fn, int(qualifier))
            if found is None:
                raise v.not_found(f"Function not found: {fn.arn}:{qualifier}")
            using = [a["Name"] for a in self.store.aliases(fn) if a["FunctionVersion"] == qualifier
                     or qualifier in ((a.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {})]
            if using:
                raise v.conflict(f"Unable to delete version because the following aliases reference it: {using}")
            self.store.delete_version(fn, int(qualifier))
            self.pool.retire((fn.account, fn.region, fn.name), qualifier)
            self._drop_blobs([found[1]])
            return {"StatusCode": 204}
        blobs = self.store.delete(fn)
        self.settings_store.forget_function()
        self.pool.retire((fn.account, fn.region, fn.name))
        self.forget_event_invokes(fn)
        self._drop_blobs(blobs)
        return {"StatusCode": 204}

    async def update_function_code(self, ctx: RequestContext, params: dict) -> dict:
        fn, _ = self.function(ctx, params["FunctionName"], allow_qualifier=False)
        if params.get("Architectures") is not None:
            archs = v.check_architectures(params["Architectures"])
        else:
            archs = fn.config["Architectures"]
        self._check_revision(fn.config, params.get("RevisionId"))
        publish_to = self.check_publish_to(params.get("PublishTo"))
        blob, size, sha = await self._code(ctx, params, "UpdateFunctionCode")
        fn = self.store.get(ctx.account, ctx.region, fn.name) or fn
        cfg = dict(fn.config, CodeSize=size, CodeSha256=sha, Architectures=archs, LastUpdateStatus="Successful")
        self._touch(cfg)
        if params.get("DryRun"):
            self._drop_blobs([blob])
            return cfg
        old = fn.code_blob
        fn.config, fn.code_blob = cfg, blob
        with self.db.transaction():
            self.store.save(fn)
            if publish_to:
                self.publish_latest(fn, "")
            result = self.publish(fn, "") if params.get("Publish") else cfg
        self.pool.retire((fn.account, fn.region, fn.name), "$LATEST")
        if old != blob:
            self._drop_blobs([old])
        return self._pending(result, creating=False)

    def update_function_configuration(self, ctx: RequestContext, params: dict) -> dict:
        fn, _ = self.function(ctx, params["FunctionName"], allow_qualifier=False)
        self._check_revision(fn.config, params.get("RevisionId"))
        cfg = json.loads(json.dumps(fn.config))
        self._apply(ctx, cfg, params, creating=False)
        cfg["LastUpdateStatus"] = "Successful"
        self._touch(cfg)
        fn.config = cfg
        self.store.save(fn)
        self.pool.retire((fn.account, fn.region, fn.name), "$LATEST")
        return self._pending(cfg, creating=False)

    @staticmethod
    def _check_revision(cfg: dict, revision: str | None) -> None:
        if revision and revision != cfg.get("RevisionId"):
            raise ServiceError("PreconditionFailedException",
                               "The Revision Id provided does not match the latest Revision Id. Call the "
                               "GetFunction/GetAlias API to retrieve the latest Revision Id", status=412, Type="User")

    # -- tags ----------------------------------------------------------------------------------

    def _tagged(self, ctx: RequestContext, resource: str) -> Function:
        _, _, name, qualifier = v.parse_name(resource)
        fn = self.store.get(ctx.account, ctx.region, name)
        if fn is None or qualifier:
            raise v.not_found(f"Function not found: {resource}")
        return fn

    def tag_resource(self, ctx: RequestContext, params: dict) -> dict:
        if ":capacity-provider:" in params["Resource"]:
            return self.capacity_provider_tags(ctx, params["Resource"], add=params.get("Tags") or {})
        if ":event-source-mapping:" in params["Resource"]:
            return self.mapping_tags(ctx, params["Resource"], add=params.get("Tags") or {})
        fn = self._tagged(ctx, params["Resource"])
        tags = dict(fn.tags)
        tags.update(params.get("Tags") or {})
        if len(tags) > MAX_TAGS:
            raise v.invalid("Number of tags exceeds resource tag limit.")
        fn.tags = tags
        self.store.save(fn)
        return {}

    def untag_resource(self, ctx: RequestContext, params: dict) -> dict:
        if ":capacity-provider:" in params["Resource"]:
            return self.capacity_provider_tags(ctx, params["Resource"], remove=params.get("TagKeys") or [])
        if ":event-source-mapping:" in params["Resource"]:
            return self.mapping_tags(ctx, params["Resource"], remove=params.get("TagKeys") or [])
        fn = self._tagged(ctx, params["Resource"])
        fn.tags = {k: val for k, val in fn.tags.items() if k not in set(params.get("TagKeys") or [])}
        self.store.save(fn)
        return {}

    def list_tags(self, ctx: RequestContext, params: dict) -> dict:
        if ":capacity-provider:" in params["Resource"]:
            return self.capacity_provider_tags(ctx, params["Resource"])
        if ":event-source-mapping:" in params["Resource"]:
            return self.mapping_tags(ctx, params["Resource"])
        return {"Tags": dict(self._tagged(ctx, params["Resource"]).tags)}

    # -- account -------------------------------------------------------------------------------

    def get_account_settings(self, ctx: RequestContext, params: dict) -> dict:
        count, size = self.store.count(ctx.account, ctx.region)
        reserved = self.reserved_total(ctx)
        limit = self.concurrency_limit
        return {"AccountLimit": {"TotalCodeSize": 80_530_636_800, "CodeSizeUnzipped": codes.MAX_UNZIPPED,
                                 "CodeSizeZipped": codes.MAX_ZIPPED, "ConcurrentExecutions": limit,
                                 "UnreservedConcurrentExecutions": limit - reserved},
                "AccountUsage": {"TotalCodeSize": size, "FunctionCount": count}}

    # -- invoking ------------------------------------------------------------------------------

    async def invoke(self, ctx: RequestContext, params: dict) -> dict:
        fn, qualifier = self.function(ctx, params["FunctionName"], params.get("Qualifier"))
        if not qualifier and "CapacityProviderConfig" in fn.config:
            # A Managed Instances function's unqualified invocations run $LATEST.PUBLISHED.
            if self.store.latest_published(fn) is None:
                raise ServiceError("NoPublishedVersionException", "The function has no published versions available.",
                                   status=400, Type="User")
            qualifier = LATEST_PUBLISHED
        kind = params.get("InvocationType") or "RequestResponse"
        limit = MAX_PAYLOAD if kind == "RequestResponse" else MAX_EVENT_PAYLOAD
        payload = await _json_payload(params.get("Payload"), limit)
        version, cfg, blob = self.resolve(ctx, fn, qualifier, route=True)
        if kind == "DryRun":
            return {"StatusCode": 204}
        if "DurableConfig" in cfg and kind in ("RequestResponse", "Event"):
            if not qualifier:
                # Each execution is pinned to a version: the developer guide's "qualified ARN requirement".
                raise v.invalid("Durable functions must be invoked with a qualified function name or ARN "
                                "(a version, an alias or $LATEST).")
            return await self.invoke_durable(ctx, fn, version, cfg, payload, kind, params)
        arn = fn.arn + (f":{qualifier}" if qualifier else "")
        if kind == "Event":
            self.queue_event(fn, qualifier, payload)
            return {"StatusCode": 202}
        if kind != "RequestResponse":
            raise v.validation("invocationType", kind, "satisfy enum value set: [Event, RequestResponse, DryRun]")
        context = params.get("ClientContext")
        if context:
            try:
                context = base64.b64decode(context).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                raise v.invalid("Client context must be a valid Base64-encoded JSON object.") from None
        result = await self.run(fn, version, cfg, blob, payload, arn, context, tail=params.get("LogType") == "Tail")
        out = {"StatusCode": 200, "Payload": result.payload, "ExecutedVersion": version}
        if result.error_type:
            out["FunctionError"] = "Unhandled"
        if params.get("LogType") == "Tail":
            out["LogResult"] = result.log_tail
        return out

    async def invoke_async(self, ctx: RequestContext, params: dict) -> dict:
        """The deprecated asynchronous invoke: an ``Event`` invocation of $LATEST, answered 202."""
        fn, _ = self.function(ctx, params["FunctionName"], None)
        payload = await _json_payload(params.get("InvokeArgs"), MAX_EVENT_PAYLOAD)
        self.resolve(ctx, fn, None, route=True)
        self.queue_event(fn, None, payload)
        ctx.status = 202
        return {"Status": 202}

    async def run(self, fn: Function, version: str, cfg: dict, blob: str, payload: bytes, arn: str,
                  client_context: str | None = None, tail: bool = False, request_id: str | None = None,
                  sink=None):
        layers = [found[1] for layer in cfg.get("Layers") or []
                  if (found := self.layer_by_arn_for(fn, layer["Arn"])) is not None]
        target = Target(fn.account, fn.region, fn.name, version, cfg, blob, layers)
        result = await self.pool.invoke(target, payload, arn, client_context, fn.reserved, tail, request_id, sink)
        if len(result.payload) > MAX_PAYLOAD and not result.error_type:
            result.payload = json.dumps({
                "errorMessage": f"Response payload size exceeded maximum allowed payload size ({MAX_PAYLOAD} bytes).",
                "errorType": "Function.ResponseSizeTooLarge"}).encode()
            result.error_type = "Function.ResponseSizeTooLarge"
        return result


def _too_large(limit: int) -> ServiceError:
    return ServiceError("RequestTooLargeException",
                        f"Request must be smaller than {limit} bytes for the InvokeFunction operation",
                        status=413, Type="User")


async def _json_payload(body, limit: int) -> bytes:
    """Invoke's payload (see ``_read_payload``), which must be JSON unless it is blank."""
    payload = await _read_payload(body, limit)
    if payload.strip():
        try:
            json.loads(payload)
        except ValueError as e:
            raise ServiceError("InvalidRequestContentException",
                               f"Could not parse request body into json: Could not parse payload into json: {e}",
                               status=400, Type="User") from None
    return payload


async def _read_payload(body, limit: int) -> bytes:
    """Invoke's payload, a streamed body from outside, bytes from the internal client."""
    if body is None:
        return b""
    if isinstance(body, str):
        body = body.encode("utf-8")
    if isinstance(body, (bytes, bytearray)):
        if len(body) > limit:
            raise _too_large(limit)
        return bytes(body)
    chunks, size = [], 0
    async for chunk in body:
        size += len(chunk)
        if size > limit:
            raise _too_large(limit)
        chunks.append(chunk)
    return b"".join(chunks)
