"""AWS Systems Manager Parameter Store: the parameter operations, in the API
reference's order.

Parameters and their versions live in ``store.py``; SecureString values are
sealed by the shared vault (KMS when there is one); parameter policies are
``policies.py``; the public ``/aws/service/`` parameters ``public.py``.
"""
from __future__ import annotations

import base64
import re

from ...protocol.errors import ServiceError
from ..base import Provider, RequestContext
from ..secretsmanager.vault import SealError, Vault
from . import policies as P
from . import public
from .store import MIGRATIONS, Store, Version

EXPIRE_KIND = "ssm:expire"
TYPES = ("String", "StringList", "SecureString")
TIERS = ("Standard", "Advanced", "Intelligent-Tiering")
DATA_TYPES = ("text", "aws:ec2:image", "aws:ssm:integration")
NAME_CHARS = re.compile(r"^[a-zA-Z0-9_.\-/]+$")
ARN = re.compile(r"^arn:aws[\w-]*:ssm:([a-z0-9-]+):(\d{12})?:parameter(/.*)$")
AMI = re.compile(r"^ami-[0-9a-f]{8,17}$")
LABEL = re.compile(r"^[a-zA-Z0-9_.\-]{1,100}$")
STANDARD_MAX, ADVANCED_MAX = 4096, 8192
MAX_VERSIONS = 100
MAX_STANDARD_PARAMETERS = 10_000
MAX_LABELS = 10
MAX_TAGS = 50
SCAN = 200

NAME_RULES = ('Parameter name: can\'t be prefixed with "aws" or "ssm" (case-insensitive). If formed as a path, it '
              'can consist of sub-paths divided by slash symbol; each sub-path can be formed as a mix of letters, '
              'numbers and the following 3 symbols .-_')
HIERARCHY = ("A hierarchy can have a maximum of 15 levels. For more information, see Requirements and constraints "
             "for parameter names in the AWS Systems Manager User Guide.")
# Filter keys and the options each takes, per operation (the ParameterStringFilter reference).
DESCRIBE_KEYS = {"Name": ("Equals", "BeginsWith", "Contains"), "Type": ("Equals", "BeginsWith"),
                 "KeyId": ("Equals", "BeginsWith"), "Path": ("Recursive", "OneLevel"),
                 "Tier": ("Equals", "BeginsWith"), "DataType": ("Equals", "BeginsWith"),
                 "tag": ("Equals", "BeginsWith")}
BY_PATH_KEYS = {"Type": ("Equals", "BeginsWith"), "KeyId": ("Equals", "BeginsWith"), "Label": ("Equals",)}


def validation(message: str) -> ServiceError:
    return ServiceError("ValidationException", message)


def parameter_not_found(name: str = "") -> ServiceError:
    return ServiceError("ParameterNotFound", name and f"Parameter {name} not found.")


def _token(after: str) -> str:
    return base64.urlsafe_b64encode(after.encode()).decode()


def _after(token: str | None) -> str:
    if not token:
        return ""
    try:
        return base64.urlsafe_b64decode(token.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        raise ServiceError("InvalidNextToken", "The specified token isn't valid.") from None


def _max_results(params: dict, default: int, top: int) -> int:
    n = params.get("MaxResults")
    if n is None:
        return default
    if not 1 <= n <= top:
        raise validation(f"1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy constraint: "
                         f"Member must have value less than or equal to {top}")
    return n


class SsmProvider(Provider):
    service = "ssm"
    migrations = MIGRATIONS

    def start(self) -> None:
        self.store = Store(self.db)
        self.vault = Vault(self.runtime, "ssm.amazonaws.com", "alias/aws/ssm")
        self.scheduler.on(EXPIRE_KIND, self._expire)

    # -- names -----------------------------------------------------------------------------

    @staticmethod
    def arn(ctx_or_region, account: str, name: str) -> str:
        return f"arn:aws:ssm:{ctx_or_region}:{account}:parameter{name if name.startswith('/') else '/' + name}"

    @staticmethod
    def _plain_name(ctx: RequestContext, name: str | None) -> str:
        """A name as given (or taken from an ARN), without the spaces around it, which the service removes."""
        name = name.strip() if isinstance(name, str) else name
        if not name:
            raise validation("1 validation error detected: Value at 'name' failed to satisfy constraint: "
                             "Member must have length greater than or equal to 1")
        m = ARN.match(name)
        if m:
            path = m.group(3)
            # A parameter named without a leading slash has the ARN .../parameter/<name>.
            return path if path.count("/") > 1 else path[1:]
        return name

    @staticmethod
    def check_name(name: str) -> None:
        if len(name) > 1011:
            raise validation("1 validation error detected: Value at 'name' failed to satisfy constraint: "
                             "Member must have length less than or equal to 1011")
        if not NAME_CHARS.match(name):
            raise validation(NAME_RULES)
        first = name.lstrip("/").split("/", 1)[0].lower()
        if first.startswith("aws") or first.startswith("ssm"):
            raise validation(NAME_RULES)
        if "/" in name and not name.startswith("/"):
            raise validation("Parameter name must be a fully qualified name.")
        if "//" in name or (name.endswith("/") and name != "/"):
            raise validation(NAME_RULES)
        if len(name.strip("/").split("/")) > 15:
            raise ServiceError("HierarchyLevelLimitExceededException", HIERARCHY)

    def _selector(self, ctx, raw: str) -> tuple[str, str | None]:
        """``name``, ``name:version`` or ``name:label`` -> (name, selector)."""
        name = self._plain_name(ctx, raw)
        if ":" in name:
            name, _, selector = name.partition(":")
            if not selector or ":" in selector:
                raise validation(f"Invalid parameter name or selector: {raw}")
            return name, selector
        return name, None

    # -- values ----------------------------------------------------------------------------

    async def _seal(self, ctx, name: str, key_id: str | None, value: str) -> tuple[bytes, str | None]:
        try:
            return await self.vault.seal(ctx.account, ctx.region, key_id, value.encode(),
                                         {"PARAMETER_ARN": self.arn(ctx.region, ctx.account, name)})
        except SealError as e:
            raise ServiceError("InvalidKeyId", e.error.message or "The KMS key is not valid.") from None

    async def _value(self, ctx, v: Version, decrypt: bool) -> str:
        if v.type != "SecureString":
            return v.value.decode()
        if not decrypt:
            return base64.b64encode(v.value).decode()
        try:
            plain = await self.vault.open(ctx.account, ctx.region, v.sealed_with, v.value,
                                          {"PARAMETER_ARN": self.arn(ctx.region, ctx.account, v.name)})
        except SealError as e:
            raise ServiceError("InvalidKeyId", e.error.message or "The KMS key is not valid.") from None
        return plain.decode()

    async def _parameter(self, ctx, v: Version, decrypt: bool, selector: str | None = None) -> dict:
        out = {"Name": v.name, "Type": v.type, "Value": await self._value(ctx, v, decrypt), "Version": v.version,
               "LastModifiedDate": v.modified, "ARN": self.arn(ctx.region, ctx.account, v.name),
               "DataType": v.data_type}
        if selector is not None:
            out["Selector"] = ":" + selector
        return out

    def _public(self, ctx, name: str, selector: str | None = None) -> dict | None:
        found = public.parameters(ctx.region).get(name)
        if found is None or (selector is not None and selector != "1"):
            return None
        out = {"Name": name, "Type": "String", "Value": found[0], "Version": 1, "LastModifiedDate": public.MODIFIED,
               "ARN": f"arn:aws:ssm:{ctx.region}::parameter{name}", "DataType": found[1]}
        if selector is not None:
            out["Selector"] = ":" + selector
        return out

    def _resolve(self, ctx, name: str, selector: str | None) -> Version:
        if selector is None:
            v = self.store.latest(ctx.account, ctx.region, name)
            if v is None:
                raise parameter_not_found()
            return v
        if selector.isdigit():
            v = self.store.version(ctx.account, ctx.region, name, int(selector))
            if v is None:
                if self.store.latest(ctx.account, ctx.region, name) is None:
                    raise parameter_not_found()
                raise ServiceError("ParameterVersionNotFound", f"Systems Manager could not find version {selector} "
                                   f"of {name}. Verify the version and try again.")
            return v
        versions = self.store.versions(ctx.account, ctx.region, name)
        if not versions:
            raise parameter_not_found()
        v = next((v for v in versions if selector in v.labels), None)
        if v is None:
            raise ServiceError("ParameterVersionNotFound", f"Systems Manager could not find version {selector} "
                               f"of {name}. Verify the version and try again.")
        return v

    def _user(self, ctx) -> str:
        return ctx.principal if ctx.principal.startswith("arn:") else f"arn:aws:iam::{ctx.account}:root"

    # -- operations -------------------------------------------------------------------------------

    async def add_tags_to_resource(self, ctx, params):
        name = self._tagged(ctx, params)
        tags = {t["Key"]: t for t in self.store.tags(ctx.account, ctx.region, name)}
        for t in _checked_tags(params.get("Tags") or []):
            tags[t["Key"]] = t
        _checked_tags(list(tags.values()))
        self.store.set_tags(ctx.account, ctx.region, name, list(tags.values()))
        return {}

    def _tagged(self, ctx, params) -> str:
        if params.get("ResourceType") != "Parameter":
            raise ServiceError("InvalidResourceType", "The resource type is not valid: nubis tags parameters only.")
        name = self._plain_name(ctx, params.get("ResourceId"))
        if self.store.tags(ctx.account, ctx.region, name) is None:
            raise ServiceError("InvalidResourceId", "The resource ID is not valid. Verify that you entered the "
                               "correct ID and try again.")
        return name

    async def delete_parameter(self, ctx, params):
        name = self._plain_name(ctx, params.get("Name"))
        if not self.store.delete(ctx.account, ctx.region, name):
            raise parameter_not_found()
        self.scheduler.cancel(EXPIRE_KIND, self._timer_key(ctx.account, ctx.region, name))
        return {}

    async def delete_parameters(self, ctx, params):
        deleted, invalid = [], []
        for raw in params.get("Names") or []:
            name = self._plain_name(ctx, raw)
            if self.store.delete(ctx.account, ctx.region, name):
                self.scheduler.cancel(EXPIRE_KIND, self._timer_key(ctx.account, ctx.region, name))
                deleted.append(raw)
            else:
                invalid.append(raw)
        return {"DeletedParameters": deleted, "InvalidParameters": invalid}

    async def describe_parameters(self, ctx, params):
        if params.get("Filters") and params.get("ParameterFilters"):
            raise validation("You can use either Filters or ParameterFilters in a single request.")
        checks = []
        for f in params.get("Filters") or []:
            key = f.get("Key")
            if key not in ("Name", "Type", "KeyId"):
                raise ServiceError("InvalidFilterKey", f"The following filter key is not valid: {key}.")
            checks.append((key, "BeginsWith" if key == "Name" else "Equals", f.get("Values") or []))
        checks += self._filters(params.get("ParameterFilters") or [], DESCRIBE_KEYS)
        size = _max_results(params, 10, 50)
        if params.get("Shared"):
            return {"Parameters": []}
        prefix = ""
        for key, option, values in checks:
            if key == "Path":
                prefix = values[0].rstrip("/") + "/"
        items, token = self._scan(ctx, prefix, _after(params.get("NextToken")), size,
                                  lambda v, tags: self._passes(v, tags, checks))
        return {"Parameters": [self._metadata(ctx, v) for v in items], "NextToken": token}

    def _metadata(self, ctx, v: Version) -> dict:
        out = {"Name": v.name, "ARN": self.arn(ctx.region, ctx.account, v.name), "Type": v.type,
               "KeyId": v.key_id, "LastModifiedDate": v.modified, "LastModifiedUser": v.modified_by,
               "Description": v.description, "AllowedPattern": v.allowed_pattern, "Version": v.version,
               "Tier": v.tier, "Policies": v.policies, "DataType": v.data_type}
        return {k: x for k, x in out.items() if x is not None}

    def _filters(self, filters: list, allowed: dict) -> list:
        out = []
        for f in filters:
            key, option, values = f.get("Key") or "", f.get("Option") or "Equals", f.get("Values") or []
            kind = "tag" if key.startswith("tag:") and len(key) > 4 else key
            if kind not in allowed:
                raise ServiceError("InvalidFilterKey", f"The following filter key is not valid: {key}. Valid filter "
                                   f"keys include: [{', '.join(allowed)}].")
            if kind == "tag":
                if option not in allowed["tag"]:
                    raise ServiceError("InvalidFilterOption", f"The filter option {option} is not valid for key "
                                       f"{key}. Valid options include: [{', '.join(allowed['tag'])}].")
                out.append((key, option, values))
                continue
            if key == "Path" and f.get("Option") is None:
                option = "OneLevel"
            if option not in allowed[key]:
                raise ServiceError("InvalidFilterOption", f"The filter option {option} is not valid for key {key}. "
                                   f"Valid options include: [{', '.join(allowed[key])}].")
            if not values and not key.startswith("tag:"):
                raise ServiceError("InvalidFilterValue", f"The filter value for key {key} can't be empty.")
            if key == "Tier" and option == "Equals" and any(v not in ("Standard", "Advanced") for v in values):
                raise ServiceError("InvalidFilterValue", "The Tier filter takes Standard or Advanced.")
            if key == "Path" and any(not v.startswith("/") for v in values):
                raise ServiceError("InvalidFilterValue", "The Path filter value must begin with a forward slash.")
            out.append((key, option, values))
        return out

    @staticmethod
    def _passes(v: Version, tags: list, checks: list) -> bool:
        for key, option, values in checks:
            if key.startswith("tag:"):
                tag = next((t for t in tags if t["Key"] == key[4:]), None)
                if tag is None or (values and not any(
                        tag["Value"] == x if option == "Equals" else tag["Value"].startswith(x) for x in values)):
                    return False
                continue
            if key == "Path":
                base = values[0].rstrip("/") + "/"
                if not v.name.startswith(base) or (option == "OneLevel" and "/" in v.name[len(base):]):
                    return False
                continue
            if key == "Name":
                # Equals and BeginsWith match with or without the leading slash.
                name = v.name.lstrip("/")
                if option == "Contains":
                    ok = any(x in v.name for x in values)
                elif option == "Equals":
                    ok = any(name == x.lstrip("/") for x in values)
                else:
                    ok = any(name.startswith(x.lstrip("/")) for x in values)
                if not ok:
                    return False
                continue
            if key == "Label":
                fields = v.labels
            else:
                fields = [{"Type": v.type, "KeyId": v.key_id or "", "Tier": v.tier, "DataType": v.data_type}[key]]
            if option == "Equals":
                ok = any(f == x for f in fields for x in values)
            elif option == "BeginsWith":
                ok = any(f.startswith(x) for f in fields for x in values)
            else:
                ok = any(x in f for f in fields for x in values)
            if not ok:
                return False
        return True

    def _scan(self, ctx, prefix: str, after: str, size: int, keep) -> tuple[list[Version], str | None]:
        """Up to ``size`` latest versions under ``prefix`` that ``keep`` accepts, and the token to go on."""
        out = []
        while True:
            chunk = self.store.page(ctx.account, ctx.region, prefix, after, SCAN)
            for v, tags in chunk:
                if keep(v, tags):
                    out.append(v)
                    if len(out) == size:
                        more = self.store.page(ctx.account, ctx.region, prefix, v.name, 1)
                        return out, _token(v.name) if more else None
            if len(chunk) < SCAN:
                return out, None
            after = chunk[-1][0].name

    async def get_parameter(self, ctx, params):
        name, selector = self._selector(ctx, params.get("Name"))
        if public.is_public(name):
            found = self._public(ctx, name, selector)
            if found is None:
                raise parameter_not_found()
            return {"Parameter": found}
        v = self._resolve(ctx, name, selector)
        return {"Parameter": await self._parameter(ctx, v, bool(params.get("WithDecryption")), selector)}

    async def get_parameter_history(self, ctx, params):
        name = self._plain_name(ctx, params.get("Name"))
        versions = self.store.versions(ctx.account, ctx.region, name)
        if not versions:
            raise parameter_not_found()
        size = _max_results(params, 50, 50)
        start = int(_after(params.get("NextToken")) or 0)
        page = versions[start:start + size]
        decrypt = bool(params.get("WithDecryption"))
        items = []
        for v in page:
            item = {**self._metadata(ctx, v), "Value": await self._value(ctx, v, decrypt), "Labels": v.labels}
            item.pop("ARN", None)
            items.append(item)
        token = _token(str(start + size)) if start + size < len(versions) else None
        return {"Parameters": items, "NextToken": token}

    async def get_parameters(self, ctx, params):
        names = params.get("Names") or []
        if len(names) > 10:
            raise validation("1 validation error detected: Value at 'names' failed to satisfy constraint: "
                             "Member must have length less than or equal to 10")
        found, invalid = [], []
        decrypt = bool(params.get("WithDecryption"))
        for raw in dict.fromkeys(names):
            name, selector = self._selector(ctx, raw)
            if public.is_public(name):
                p = self._public(ctx, name, selector)
                (found.append(p) if p else invalid.append(raw))
                continue
            try:
                v = self._resolve(ctx, name, selector)
            except ServiceError as e:
                if e.code in ("ParameterNotFound", "ParameterVersionNotFound"):
                    invalid.append(raw)
                    continue
                raise
            found.append(await self._parameter(ctx, v, decrypt, selector))
        return {"Parameters": found, "InvalidParameters": invalid}

    async def get_parameters_by_path(self, ctx, params):
        path = params.get("Path") or ""
        if not path.startswith("/"):
            raise validation('The parameter doesn\'t meet the parameter name requirements. The parameter name must '
                             'begin with a forward slash "/".')
        if len(path.strip("/").split("/")) > 15:
            raise ServiceError("HierarchyLevelLimitExceededException", HIERARCHY)
        checks = self._filters(params.get("ParameterFilters") or [], BY_PATH_KEYS)
        size = _max_results(params, 10, 10)
        recursive = bool(params.get("Recursive"))
        base = path if path.endswith("/") else path + "/"
        decrypt = bool(params.get("WithDecryption"))

        def in_scope(name: str) -> bool:
            return name.startswith(base) and (recursive or "/" not in name[len(base):])

        if public.is_public(base):
            names = sorted(n for n in public.parameters(ctx.region) if in_scope(n))
            after = _after(params.get("NextToken"))
            names = [n for n in names if n > after]
            page = [self._public(ctx, n) for n in names[:size]]
            page = [p for p in page if self._passes_public(p, checks)]
            token = _token(names[size - 1]) if len(names) > size else None
            return {"Parameters": page, "NextToken": token}
        items, token = self._scan(ctx, base, _after(params.get("NextToken")), size,
                                  lambda v, tags: in_scope(v.name) and self._passes(v, tags, checks))
        return {"Parameters": [await self._parameter(ctx, v, decrypt) for v in items], "NextToken": token}

    @staticmethod
    def _passes_public(p: dict, checks: list) -> bool:
        for key, option, values in checks:
            field = {"Type": "String", "DataType": p["DataType"]}.get(key)
            if field is None or not any(field == x if option == "Equals" else field.startswith(x) for x in values):
                return False
        return True

    async def label_parameter_version(self, ctx, params):
        name = self._plain_name(ctx, params.get("Name"))
        versions = self.store.versions(ctx.account, ctx.region, name)
        if not versions:
            raise parameter_not_found()
        number = params.get("ParameterVersion") or versions[-1].version
        target = next((v for v in versions if v.version == number), None)
        if target is None:
            raise ServiceError("ParameterVersionNotFound", f"Systems Manager could not find version {number} of "
                               f"{name}. Verify the version and try again.")
        labels = params.get("Labels") or []
        valid = [label for label in labels if _valid_label(label)]
        invalid = [label for label in labels if not _valid_label(label)]
        new = [label for label in dict.fromkeys(valid) if label not in target.labels]
        if len(target.labels) + len(new) > MAX_LABELS:
            raise ServiceError("ParameterVersionLabelLimitExceeded", "A parameter version can have maximum 10 "
                               "labels.Move one or more labels to another version and try again.")
        for v in versions:
            if v is not target and any(label in v.labels for label in new):
                v.labels = [label for label in v.labels if label not in new]
                self.store.set_labels(ctx.account, ctx.region, name, v.version, v.labels)
        if new:
            self.store.set_labels(ctx.account, ctx.region, name, target.version, target.labels + new)
        return {"InvalidLabels": invalid, "ParameterVersion": target.version}

    async def list_tags_for_resource(self, ctx, params):
        name = self._tagged(ctx, params)
        return {"TagList": self.store.tags(ctx.account, ctx.region, name)}

    async def put_parameter(self, ctx, params):
        name = self._plain_name(ctx, params.get("Name"))
        self.check_name(name)
        value = params.get("Value")
        if not value:
            raise validation("1 validation error detected: Value at 'value' failed to satisfy constraint: "
                             "Member must have length greater than or equal to 1")
        kind, tier_asked = params.get("Type"), params.get("Tier")
        if kind is not None and kind not in TYPES:
            raise validation(f"1 validation error detected: Value '{kind}' at 'type' failed to satisfy constraint: "
                             f"Member must satisfy enum value set: [SecureString, StringList, String]")
        if tier_asked is not None and tier_asked not in TIERS:
            raise validation(f"1 validation error detected: Value '{tier_asked}' at 'tier' failed to satisfy "
                             f"constraint: Member must satisfy enum value set: [Advanced, Intelligent-Tiering, "
                             f"Standard]")
        overwrite, tags = bool(params.get("Overwrite")), params.get("Tags")
        if overwrite and tags:
            raise validation("Invalid request: tags and overwrite can't be used together. To create a parameter with "
                             "tags, please remove overwrite flag. To update tags for an existing parameter, please "
                             "use AddTagsToResource or RemoveTagsFromResource.")
        latest = self.store.latest(ctx.account, ctx.region, name)
        if latest is not None and not overwrite:
            raise ServiceError("ParameterAlreadyExists", "The parameter already exists. To overwrite this value, set "
                               "the overwrite option in the request to true.")
        if latest is None and kind is None:
            raise validation("A parameter type is required when you create a parameter.")
        kind = kind or latest.type
        data_type = params.get("DataType") or (latest.data_type if latest else "text")
        if data_type not in DATA_TYPES:
            raise validation(f"The following data type is not supported: {data_type} (Data type names are all "
                             f"lowercase.)")
        if data_type == "aws:ec2:image" and (kind != "String" or not AMI.match(value)):
            raise validation(f"Parameter value, {value}, is not a valid AMI ID: an aws:ec2:image parameter holds an "
                             f"image id such as ami-12345abcdeEXAMPLE, as a String.")
        pattern = params.get("AllowedPattern", latest.allowed_pattern if latest else None)
        if pattern:
            try:
                matched = re.fullmatch(pattern, value) is not None
            except re.error:
                raise ServiceError("InvalidAllowedPatternException",
                                   f"The request does not meet the regular expression requirement: {pattern}") \
                    from None
            if not matched:
                raise ServiceError("ParameterPatternMismatchException",
                                   f"Parameter value, cannot be validated against allowedPattern: {pattern}")
        now = self.clock.now()
        policies = P.parse(params["Policies"], now) if params.get("Policies") is not None else \
            (latest.policies if latest else [])
        tier = self._tier(tier_asked, latest, value, policies)
        key_id = None
        if kind == "SecureString":
            key_id = params.get("KeyId") or (latest.key_id if latest and latest.type == "SecureString" else None) \
                or "alias/aws/ssm"
        elif params.get("KeyId"):
            raise validation("KeyId is only valid for a SecureString parameter.")
        if latest is None and tier == "Standard" and \
                self.store.count(ctx.account, ctx.region) >= MAX_STANDARD_PARAMETERS:
            raise ServiceError("ParameterLimitExceeded", "You have exceeded the number of parameters for this AWS "
                               "account. Delete one or more parameters and try again.")
        number = (latest.version + 1) if latest else 1
        # Parameter Store keeps the last 100 versions: the oldest makes room, unless a label holds it.
        oldest = self.store.oldest(ctx.account, ctx.region, name) if number > MAX_VERSIONS else None
        if oldest is not None and latest.version - oldest.version + 1 < MAX_VERSIONS:
            oldest = None
        if oldest is not None:
            if oldest.labels:
                raise ServiceError("ParameterMaxVersionLimitExceeded", f"You attempted to create a new version of "
                                   f"{name} by calling the PutParameter API with the overwrite flag. Version "
                                   f"{oldest.version}, the oldest version, can't be deleted because it has a label "
                                   f"associated with it. Move the label to another version of the parameter, and try "
                                   f"again.")
        if kind == "SecureString":
            stored, sealed_with = await self._seal(ctx, name, None if key_id == "alias/aws/ssm" else key_id, value)
        else:
            stored, sealed_with = value.encode(), None
        description = params.get("Description", latest.description if latest else None)
        v = Version(name, number, kind, stored, sealed_with, key_id, description, pattern, tier, policies, data_type,
                    [], now, self._user(ctx))
        if oldest is not None:
            self.store.drop_version(ctx.account, ctx.region, name, oldest.version)
        self.store.put(ctx.account, ctx.region, v, None if latest else _checked_tags(tags or []))
        if policies or (latest is not None and latest.policies):
            self._schedule_expiry(ctx, name, policies)
        return {"Version": number, "Tier": tier}

    @staticmethod
    def _tier(asked: str | None, latest: Version | None, value: str, policies: list) -> str:
        size = len(value.encode())
        if size > ADVANCED_MAX:
            raise validation(f"1 validation error detected: Value at 'value' failed to satisfy constraint: Member "
                             f"must have length less than or equal to {ADVANCED_MAX}")
        was_advanced = latest is not None and latest.tier == "Advanced"
        if asked == "Intelligent-Tiering":
            return "Advanced" if size > STANDARD_MAX or policies or was_advanced else "Standard"
        tier = asked or ("Advanced" if was_advanced else "Standard")
        if tier == "Standard":
            if was_advanced:
                raise validation("This parameter uses the advanced-parameter tier. You can't downgrade a parameter "
                                 "from the advanced-parameter tier to the standard-parameter tier. If necessary, you "
                                 "can delete the advanced parameter and recreate it as a standard parameter.")
            if size > STANDARD_MAX:
                raise validation("Standard tier parameters support a maximum parameter value of 4096 characters. To "
                                 "create a larger parameter value, upgrade the parameter to use the advanced-parameter "
                                 "tier. For more information, see https://docs.aws.amazon.com/systems-manager/latest/"
                                 "userguide/parameter-store-advanced-parameters.html")
            if policies:
                raise validation("Parameter policies are supported only for advanced-tier parameters. Use the "
                                 "advanced tier or intelligent tiering to add policies.")
        return tier

    @staticmethod
    def _timer_key(account: str, region: str, name: str) -> str:
        return f"{account}/{region}/{name}"

    def _schedule_expiry(self, ctx, name: str, policies: list) -> None:
        key = self._timer_key(ctx.account, ctx.region, name)
        when = P.expires_at(policies)
        if when is None:
            self.scheduler.cancel(EXPIRE_KIND, key)
        else:
            self.scheduler.at(when, EXPIRE_KIND, {"account": ctx.account, "region": ctx.region, "name": name}, key=key)

    def _expire(self, payload: dict) -> None:
        v = self.store.latest(payload["account"], payload["region"], payload["name"])
        if v is None:
            return
        when = P.expires_at(v.policies)
        if when is not None and when <= self.clock.now():
            self.store.delete(payload["account"], payload["region"], payload["name"])

    async def remove_tags_from_resource(self, ctx, params):
        name = self._tagged(ctx, params)
        drop = set(params.get("TagKeys") or [])
        tags = [t for t in self.store.tags(ctx.account, ctx.region, name) if t["Key"] not in drop]
        self.store.set_tags(ctx.account, ctx.region, name, tags)
        return {}

    async def unlabel_parameter_version(self, ctx, params):
        name = self._plain_name(ctx, params.get("Name"))
        versions = self.store.versions(ctx.account, ctx.region, name)
        if not versions:
            raise parameter_not_found()
        number = params.get("ParameterVersion")
        if number is None:
            raise validation("1 validation error detected: Value null at 'parameterVersion' failed to satisfy "
                             "constraint: Member must not be null")
        target = next((v for v in versions if v.version == number), None)
        if target is None:
            raise ServiceError("ParameterVersionNotFound", f"Systems Manager could not find version {number} of "
                               f"{name}. Verify the version and try again.")
        labels = params.get("Labels") or []
        removed = [label for label in dict.fromkeys(labels) if label in target.labels]
        invalid = [label for label in labels if label not in target.labels]
        if removed:
            self.store.set_labels(ctx.account, ctx.region, name, number,
                                  [label for label in target.labels if label not in removed])
        return {"RemovedLabels": removed, "InvalidLabels": invalid}


def _valid_label(label: str) -> bool:
    """Letters, digits, '.', '-', '_'; at most 100; not starting with a digit, "aws" or "ssm"."""
    lowered = label.lower()
    return bool(LABEL.match(label)) and not label[0].isdigit() and not lowered.startswith(("aws", "ssm"))


def _checked_tags(tags: list) -> list:
    if len(tags) > MAX_TAGS:
        raise ServiceError("TooManyTagsError", "The Tags parameter contains too many tags.")
    for t in tags:
        if not 1 <= len(t.get("Key") or "") <= 128 or len(t.get("Value") or "") > 256:
            raise validation("1 validation error detected: a tag's Key must be 1 to 128 characters and its Value at "
                             "most 256.")
        if t["Key"].lower().startswith("aws:"):
            raise ServiceError("InvalidParameters", "Tag keys can't start with aws: (reserved for AWS use).")
    return [{"Key": t["Key"], "Value": t.get("Value", "")} for t in tags]
