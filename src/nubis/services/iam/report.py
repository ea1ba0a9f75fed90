"""The credential report (IAM user guide, "Getting credential reports"): one CSV
line per user and one for the account's root, in IAM's columns."""
from __future__ import annotations

import csv
import io
import time

COLUMNS = ["user", "arn", "user_creation_time", "password_enabled", "password_last_used", "password_last_changed",
           "password_next_rotation", "mfa_active", "access_key_1_active", "access_key_1_last_rotated",
           "access_key_1_last_used_date", "access_key_1_last_used_region", "access_key_1_last_used_service",
           "access_key_2_active", "access_key_2_last_rotated", "access_key_2_last_used_date",
           "access_key_2_last_used_region", "access_key_2_last_used_service", "cert_1_active",
           "cert_1_last_rotated", "cert_2_active", "cert_2_last_rotated"]


def _time(epoch: float | None) -> str:
    if epoch is None:
        return "N/A"
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(epoch))


def build(provider, ctx) -> str:
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(COLUMNS)
    store = provider.store
    root = f"arn:aws:iam::{ctx.account}:root"
    w.writerow(["<root_account>", root, "N/A", "not_supported", "no_information", "not_supported",
                "not_supported", "false", "false", "N/A", "N/A", "N/A", "N/A", "false", "N/A", "N/A", "N/A", "N/A",
                "false", "N/A", "false", "N/A"])
    for user in sorted(store.all(ctx.account, "user"), key=lambda u: u["UserName"].lower()):
        name = user["UserName"]
        login = store.get(ctx.account, "login", name.lower())
        mfa = any(d.get("_user") == name.lower() for d in store.all(ctx.account, "mfa"))
        row = [name, user["Arn"], _time(user["CreateDate"]), "true" if login else "false",
               "no_information" if login else "N/A", _time(login["_changed"]) if login else "N/A", "N/A",
               "true" if mfa else "false"]
        keys = sorted((k for k in store.all(ctx.account, "accesskey") if k["UserName"] == name),
                      key=lambda k: k["CreateDate"])
        for i in range(2):
            if i < len(keys):
                k = keys[i]
                used = provider.last_used.get(k["AccessKeyId"])
                row += ["true" if k["Status"] == "Active" else "false", _time(k["CreateDate"]), _time(used),
                        "N/A", "N/A"]
            else:
                row += ["false", "N/A", "N/A", "N/A", "N/A"]
        row += ["false", "N/A", "false", "N/A"]
        w.writerow(row)
    return out.getvalue()
