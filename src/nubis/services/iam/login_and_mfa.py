"""Console passwords (login profiles, ChangePassword, the account's password policy check) and
virtual MFA devices."""
from __future__ import annotations

import base64
import re
import secrets
import string

from ...auth.credentials import partition
from ...protocol.errors import ServiceError
from .entities import check_name, check_path, conflict, exists, no_such, password_hash, public, tags_in, validation
from .paging import page


class LoginAndMfaMixin:
    """Operations of ``IamProvider``."""

    # -- login profiles --------------------------------------------------------------------------

    def create_login_profile(self, ctx, params):
        user = self._entity(ctx, "user", params.get("UserName"))
        key = user["UserName"].lower()
        if self.store.get(ctx.account, "login", key) is not None:
            raise exists(f"Login Profile for user {user['UserName']} already exists.")
        self._check_password(ctx, params.get("Password") or "")
        doc = {"UserName": user["UserName"], "CreateDate": self.clock.now(),
               "PasswordResetRequired": bool(params.get("PasswordResetRequired")), "_changed": self.clock.now(),
               "_hash": password_hash(params.get("Password") or "")}
        self.store.put(ctx.account, "login", key, doc)
        return {"LoginProfile": public(doc)}

    def _check_password(self, ctx, password: str) -> None:
        rules = self.store.get(ctx.account, "password", "policy") or {}
        minimum = rules.get("MinimumPasswordLength", 8)
        ok = len(password) >= minimum
        for flag, chars in (("RequireSymbols", set("!@#$%^&*()_+-=[]{}|'")),
                            ("RequireNumbers", set(string.digits)),
                            ("RequireUppercaseCharacters", set(string.ascii_uppercase)),
                            ("RequireLowercaseCharacters", set(string.ascii_lowercase))):
            if rules.get(flag) and not set(password) & chars:
                ok = False
        if not ok:
            raise ServiceError("PasswordPolicyViolation", "Password does not conform to the account password "
                               "policy.", 400)

    def get_login_profile(self, ctx, params):
        user = self._entity(ctx, "user", params.get("UserName"))
        doc = self.store.get(ctx.account, "login", user["UserName"].lower())
        if doc is None:
            raise no_such(f"Login Profile for User {user['UserName']} cannot be found.")
        return {"LoginProfile": public(doc)}

    def update_login_profile(self, ctx, params):
        user = self._entity(ctx, "user", params.get("UserName"))
        doc = self.store.get(ctx.account, "login", user["UserName"].lower())
        if doc is None:
            raise no_such(f"Login Profile for User {user['UserName']} cannot be found.")
        if params.get("Password") is not None:
            self._check_password(ctx, params["Password"])
            doc["_changed"] = self.clock.now()
            doc["_hash"] = password_hash(params["Password"])
        if params.get("PasswordResetRequired") is not None:
            doc["PasswordResetRequired"] = params["PasswordResetRequired"]
        self.store.put(ctx.account, "login", user["UserName"].lower(), doc)
        return {}

    def change_password(self, ctx, params):
        user = self._caller_user(ctx, None)
        if user is None:
            raise ServiceError("InvalidUserType", "Only IAM users can change their own password.", 400)
        doc = self.store.get(ctx.account, "login", user["UserName"].lower())
        if doc is None:
            raise no_such(f"Login Profile for User {user['UserName']} cannot be found.")
        if doc.get("_hash") != password_hash(params.get("OldPassword") or "", doc["_hash"]):
            raise ServiceError("AccessDenied", "The old password is not correct.", 403)
        self._check_password(ctx, params.get("NewPassword") or "")
        doc.update({"_hash": password_hash(params["NewPassword"]), "_changed": self.clock.now(),
                    "PasswordResetRequired": False})
        self.store.put(ctx.account, "login", user["UserName"].lower(), doc)
        return {}

    def delete_login_profile(self, ctx, params):
        user = self._entity(ctx, "user", params.get("UserName"))
        if self.store.get(ctx.account, "login", user["UserName"].lower()) is None:
            raise no_such(f"Login Profile for User {user['UserName']} cannot be found.")
        self.store.delete(ctx.account, "login", user["UserName"].lower())
        return {}

    # -- MFA devices (virtual) -------------------------------------------------------------------

    def create_virtual_mfa_device(self, ctx, params):
        name = check_name(params.get("VirtualMFADeviceName"), "virtualMFADeviceName", 226)
        path = check_path(params.get("Path"))
        serial = f"arn:{partition(ctx.region)}:iam::{ctx.account}:mfa{path}{name}"
        if self.store.get(ctx.account, "mfa", serial) is not None:
            raise exists("MFADevice entity at the same path and name already exists.")
        seed = base64.b32encode(secrets.token_bytes(40)).decode()
        doc = {"SerialNumber": serial, "Tags": tags_in(params), "_seed": seed, "_key": serial}
        self.store.put(ctx.account, "mfa", serial, doc)
        uri = f"otpauth://totp/{name}@{ctx.account}?secret={seed}"
        return {"VirtualMFADevice": {"SerialNumber": serial, "Base32StringSeed": base64.b64encode(seed.encode()),
                                     "QRCodePNG": uri.encode(), "Tags": doc["Tags"] or None}}

    def enable_mfa_device(self, ctx, params):
        user = self._entity(ctx, "user", params.get("UserName"))
        doc = self.store.get(ctx.account, "mfa", params.get("SerialNumber") or "")
        if doc is None:
            raise no_such(f"VirtualMFADevice with serial number {params.get('SerialNumber')} doesn't exist.")
        if doc.get("_user"):
            raise exists("MFA Device is already in use.")
        for code in ("AuthenticationCode1", "AuthenticationCode2"):
            if not re.fullmatch(r"\d{6}", params.get(code) or ""):
                raise validation(params.get(code), code[0].lower() + code[1:],
                                 "Member must satisfy regular expression pattern: [\\d]+")
        doc["_user"] = user["UserName"].lower()
        doc["EnableDate"] = self.clock.now()
        self.store.put(ctx.account, "mfa", doc["_key"], doc)
        return {}

    def deactivate_mfa_device(self, ctx, params):
        doc = self.store.get(ctx.account, "mfa", params.get("SerialNumber") or "")
        if doc is None or not doc.get("_user"):
            raise no_such(f"MFA Device with serial number {params.get('SerialNumber')} does not exist.")
        doc.pop("_user")
        doc.pop("EnableDate", None)
        self.store.put(ctx.account, "mfa", doc["_key"], doc)
        return {}

    def delete_virtual_mfa_device(self, ctx, params):
        doc = self.store.get(ctx.account, "mfa", params.get("SerialNumber") or "")
        if doc is None:
            raise no_such(f"VirtualMFADevice with serial number {params.get('SerialNumber')} doesn't exist.")
        if doc.get("_user"):
            raise conflict("MFA VirtualDevice in use. Must deactivate first.")
        self.store.delete(ctx.account, "mfa", doc["_key"])
        return {}

    def list_mfa_devices(self, ctx, params):
        user = self._caller_user(ctx, params.get("UserName"))
        key = user["UserName"].lower() if user else None
        items = [{"UserName": user["UserName"], "SerialNumber": d["SerialNumber"], "EnableDate": d["EnableDate"]}
                 for d in self.store.all(ctx.account, "mfa") if key and d.get("_user") == key]
        return page(items, params, "MFADevices")

    def list_virtual_mfa_devices(self, ctx, params):
        status = params.get("AssignmentStatus") or "Any"
        items = []
        for d in sorted(self.store.all(ctx.account, "mfa"), key=lambda d: d["SerialNumber"]):
            assigned = bool(d.get("_user"))
            if status == "Any" or (status == "Assigned") == assigned:
                out = {"SerialNumber": d["SerialNumber"]}
                if assigned:
                    u = self.store.get(ctx.account, "user", d["_user"])
                    if u:
                        out["User"] = public(u)
                    out["EnableDate"] = d["EnableDate"]
                items.append(out)
        return page(items, params, "VirtualMFADevices")
