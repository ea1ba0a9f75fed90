"""KMS's tables: keys, their material versions, aliases, grants, pending imports,
custom key stores and when each key was last used.

A key's row id (``Key.row``) is its key id, except for a multi-Region replica:
replicas share their primary's key id, so theirs is ``<key id>@<region>``.
Material belongs to the key id, so every key of a multi-Region set opens the
others' ciphertexts.

Keys and aliases are few and read on every call: kept in memory, written
through. Material is sealed by ``at_rest.MasterKey`` before it is written and
unsealed on first use; the unsealed copies live only in this process.
Times are epoch seconds on the controllable clock.
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field

from ...state.db import Database
from .at_rest import MasterKey

MIGRATIONS = ["""
CREATE TABLE kms_keys (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE TABLE kms_materials (
    key_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    material_id TEXT NOT NULL,
    sealed BLOB NOT NULL,
    created REAL NOT NULL,
    rotation_type TEXT,
    PRIMARY KEY (key_id, version)
);
CREATE TABLE kms_aliases (
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    name TEXT NOT NULL,
    key_id TEXT NOT NULL,
    created REAL NOT NULL,
    updated REAL NOT NULL,
    PRIMARY KEY (account, region, name)
);
CREATE TABLE kms_grants (
    id TEXT PRIMARY KEY,
    key_id TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE INDEX kms_grants_key ON kms_grants(key_id);
CREATE TABLE kms_imports (
    key_id TEXT PRIMARY KEY,
    token TEXT NOT NULL,
    algorithm TEXT NOT NULL,
    sealed BLOB NOT NULL,
    valid_to REAL NOT NULL
);
""", """
CREATE TABLE kms_custom_key_stores (
    id TEXT PRIMARY KEY,
    account TEXT NOT NULL,
    region TEXT NOT NULL,
    doc TEXT NOT NULL
);
CREATE TABLE kms_key_usage (
    key_row TEXT PRIMARY KEY,
    operation TEXT NOT NULL,
    at REAL NOT NULL,
    request_id TEXT NOT NULL
);
"""]


@dataclass
class Key:
    id: str
    account: str
    region: str
    created: float
    spec: str
    usage: str
    origin: str = "AWS_KMS"
    manager: str = "CUSTOMER"
    description: str = ""
    state: str = "Enabled"
    multi_region: bool = False
    policy: str = ""
    tags: list = field(default_factory=list)  # [{"TagKey": ..., "TagValue": ...}] in insertion order
    deletion_date: float | None = None
    pending_days: int | None = None
    state_before_deletion: str | None = None
    rotation_period: int | None = None      # days, when automatic rotation is on
    next_rotation: float | None = None
    on_demand_rotations: int = 0
    version: int = 0                        # the current material version (-1: none imported)
    expiration_model: str | None = None
    valid_to: float | None = None
    material_digest: str | None = None    # of imported material, so only the same may come back
    ref: str | None = None                # the row id when it is not the key id (multi-Region replicas)
    primary_region: str | None = None     # of a multi-Region key's set (None: this key's own region)
    custom_key_store_id: str | None = None
    xks_key_id: str | None = None

    @property
    def row(self) -> str:
        return self.ref or self.id

    @property
    def arn(self) -> str:
        return f"arn:aws:kms:{self.region}:{self.account}:key/{self.id}"

    @property
    def enabled(self) -> bool:
        return self.state == "Enabled"


@dataclass
class Material:
    key_id: str
    version: int
    material_id: str
    created: float
    rotation_type: str | None


@dataclass
class Alias:
    account: str
    region: str
    name: str
    key_id: str
    created: float
    updated: float

    @property
    def arn(self) -> str:
        return f"arn:aws:kms:{self.region}:{self.account}:{self.name}"


class KmsStore:
    def __init__(self, db: Database, master: MasterKey):
        self.db = db
        self.master = master
        self.keys: dict[str, Key] = {}
        self.aliases: dict[tuple[str, str, str], Alias] = {}
        self._material: dict[tuple[str, int], bytes] = {}
        self._ids: dict[str, dict[int, str]] = {}  # key id -> version -> KeyMaterialId
        self.family: dict[str, set[str]] = {}  # multi-Region key id -> row ids of its keys
        self.stores: dict[str, dict] = {}      # custom key store id -> its document
        self.load()

    def load(self) -> None:
        self.keys.clear()
        self.aliases.clear()
        self._material.clear()
        self._ids.clear()
        self.family.clear()
        self.stores.clear()
        for r in self.db.query("SELECT doc FROM kms_keys"):
            k = Key(**json.loads(r[0]))
            self.keys[k.row] = k
            if k.multi_region:
                self.family.setdefault(k.id, set()).add(k.row)
        for r in self.db.query("SELECT doc FROM kms_custom_key_stores ORDER BY rowid"):
            doc = json.loads(r[0])
            self.stores[doc["CustomKeyStoreId"]] = doc
        for r in self.db.query("SELECT account, region, name, key_id, created, updated FROM kms_aliases"):
            a = Alias(*r)
            self.aliases[(a.account, a.region, a.name)] = a

    # -- keys ---------------------------------------------------------------------------------

    def save(self, key: Key) -> None:
        self.db.execute("INSERT INTO kms_keys(id, account, region, doc) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT(id) DO UPDATE SET doc = excluded.doc",
                        (key.row, key.account, key.region, json.dumps(asdict(key))))
        self.keys[key.row] = key
        if key.multi_region:
            self.family.setdefault(key.id, set()).add(key.row)

    def find(self, region: str, key_id: str) -> Key | None:
        """The key with this key id in ``region`` (a multi-Region key id names one key per Region)."""
        key = self.keys.get(key_id)
        if key is not None and key.region == region:
            return key
        return self.keys.get(f"{key_id}@{region}") if key_id.startswith("mrk-") else None

    def related(self, key: Key) -> list[Key]:
        """Every key of a multi-Region key's set, this one included, in Region order."""
        rows = self.family.get(key.id) or {key.row}
        return sorted((self.keys[r] for r in rows if r in self.keys), key=lambda k: k.region)

    def keys_in(self, account: str, region: str) -> list[Key]:
        return [k for k in self.keys.values() if k.account == account and k.region == region]

    def delete(self, key: Key) -> None:
        # The material goes with the last key of a multi-Region set.
        last = not [k for k in self.related(key) if k.row != key.row]
        with self.db.transaction():
            if last:
                self.db.execute("DELETE FROM kms_materials WHERE key_id = ?", (key.id,))
            self.db.execute("DELETE FROM kms_grants WHERE key_id = ?", (key.row,))
            self.db.execute("DELETE FROM kms_imports WHERE key_id = ?", (key.row,))
            self.db.execute("DELETE FROM kms_aliases WHERE key_id = ? AND account = ? AND region = ?",
                            (key.id, key.account, key.region))
            self.db.execute("DELETE FROM kms_key_usage WHERE key_row = ?", (key.row,))
            self.db.execute("DELETE FROM kms_keys WHERE id = ?", (key.row,))
        self.keys.pop(key.row, None)
        if key.id in self.family:
            self.family[key.id].discard(key.row)
            if not self.family[key.id]:
                del self.family[key.id]
        for name in [n for n, a in self.aliases.items()
                     if a.key_id == key.id and a.region == key.region and a.account == key.account]:
            del self.aliases[name]
        if last:
            self._ids.pop(key.id, None)
            for mk in [mk for mk in self._material if mk[0] == key.id]:
                del self._material[mk]

    # -- material -------------------------------------------------------------------------------

    def add_material(self, key: Key, version: int, material_id: str, secret: bytes, created: float,
                     rotation_type: str | None) -> None:
        sealed = self.master.seal(f"{key.id}/{version}", secret)
        self.db.execute("INSERT INTO kms_materials(key_id, version, material_id, sealed, created, rotation_type) "
                        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(key_id, version) DO UPDATE SET "
                        "material_id = excluded.material_id, sealed = excluded.sealed, created = excluded.created",
                        (key.id, version, material_id, sealed, created, rotation_type))
        self._material[(key.id, version)] = secret
        self._ids.pop(key.id, None)

    def material(self, key_id: str, version: int) -> bytes | None:
        found = self._material.get((key_id, version))
        if found is None:
            row = self.db.query_one("SELECT sealed FROM kms_materials WHERE key_id = ? AND version = ?",
                                    (key_id, version))
            if row is None:
                return None
            found = self._material[(key_id, version)] = self.master.unseal(f"{key_id}/{version}", row[0])
        return found

    def material_id(self, key_id: str, version: int) -> str | None:
        ids = self._ids.get(key_id)
        if ids is None:
            ids = self._ids[key_id] = {m.version: m.material_id for m in self.materials(key_id)}
        return ids.get(version)

    def materials(self, key_id: str) -> list[Material]:
        return [Material(*r) for r in self.db.query(
            "SELECT key_id, version, material_id, created, rotation_type FROM kms_materials "
            "WHERE key_id = ? ORDER BY version", (key_id,))]

    def drop_materials(self, key_id: str) -> None:
        self.db.execute("DELETE FROM kms_materials WHERE key_id = ?", (key_id,))
        self._ids.pop(key_id, None)
        for mk in [mk for mk in self._material if mk[0] == key_id]:
            del self._material[mk]

    # -- aliases ----------------------------------------------------------------------------------

    def alias(self, account: str, region: str, name: str) -> Alias | None:
        return self.aliases.get((account, region, name))

    def save_alias(self, a: Alias) -> None:
        self.db.execute("INSERT INTO kms_aliases(account, region, name, key_id, created, updated) "
                        "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(account, region, name) DO UPDATE SET "
                        "key_id = excluded.key_id, updated = excluded.updated",
                        (a.account, a.region, a.name, a.key_id, a.created, a.updated))
        self.aliases[(a.account, a.region, a.name)] = a

    def delete_alias(self, a: Alias) -> None:
        self.db.execute("DELETE FROM kms_aliases WHERE account = ? AND region = ? AND name = ?",
                        (a.account, a.region, a.name))
        self.aliases.pop((a.account, a.region, a.name), None)

    def aliases_in(self, account: str, region: str) -> list[Alias]:
        return sorted((a for a in self.aliases.values() if a.account == account and a.region == region),
                      key=lambda a: a.name)

    # -- grants -------------------------------------------------------------------------------------

    def save_grant(self, grant: dict) -> None:
        self.db.execute("INSERT INTO kms_grants(id, key_id, doc) VALUES (?, ?, ?) "
                        "ON CONFLICT(id) DO UPDATE SET doc = excluded.doc",
                        (grant["GrantId"], grant["KeyId"], json.dumps(grant)))

    def grants(self, key_id: str | None = None) -> list[dict]:
        if key_id is None:
            rows = self.db.query("SELECT doc FROM kms_grants ORDER BY rowid")
        else:
            rows = self.db.query("SELECT doc FROM kms_grants WHERE key_id = ? ORDER BY rowid", (key_id,))
        return [json.loads(r[0]) for r in rows]

    def grant(self, grant_id: str) -> dict | None:
        row = self.db.query_one("SELECT doc FROM kms_grants WHERE id = ?", (grant_id,))
        return json.loads(row[0]) if row else None

    def delete_grant(self, grant_id: str) -> None:
        self.db.execute("DELETE FROM kms_grants WHERE id = ?", (grant_id,))

    # -- custom key stores ---------------------------------------------------------------------------

    def save_store(self, account: str, region: str, doc: dict) -> None:
        self.db.execute("INSERT INTO kms_custom_key_stores(id, account, region, doc) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT(id) DO UPDATE SET doc = excluded.doc",
                        (doc["CustomKeyStoreId"], account, region, json.dumps(doc)))
        self.stores[doc["CustomKeyStoreId"]] = doc

    def delete_store(self, store_id: str) -> None:
        self.db.execute("DELETE FROM kms_custom_key_stores WHERE id = ?", (store_id,))
        self.stores.pop(store_id, None)

    # -- last usage ----------------------------------------------------------------------------------

    def usage(self) -> dict[str, tuple[str, float, str]]:
        return {r[0]: (r[1], r[2], r[3]) for r in self.db.query(
            "SELECT key_row, operation, at, request_id FROM kms_key_usage")}

    def save_usage(self, rows: dict[str, tuple[str, float, str]]) -> None:
        with self.db.transaction():
            for row, (operation, at, request_id) in rows.items():
                if row in self.keys:
                    self.db.execute("INSERT INTO kms_key_usage(key_row, operation, at, request_id) "
                                    "VALUES (?, ?, ?, ?) ON CONFLICT(key_row) DO UPDATE SET "
                                    "operation = excluded.operation, at = excluded.at, "
                                    "request_id = excluded.request_id", (row, operation, at, request_id))

    # -- imports -------------------------------------------------------------------------------------

    def save_import(self, key_id: str, token: str, algorithm: str, wrapping_private: bytes, valid_to: float) -> None:
        sealed = self.master.seal(f"{key_id}/import/{token}", wrapping_private)
        self.db.execute("INSERT INTO kms_imports(key_id, token, algorithm, sealed, valid_to) VALUES (?, ?, ?, ?, ?) "
                        "ON CONFLICT(key_id) DO UPDATE SET token = excluded.token, algorithm = excluded.algorithm, "
                        "sealed = excluded.sealed, valid_to = excluded.valid_to",
                        (key_id, token, algorithm, sealed, valid_to))

    def pending_import(self, key_id: str) -> tuple[str, str, bytes, float] | None:
        row = self.db.query_one("SELECT token, algorithm, sealed, valid_to FROM kms_imports WHERE key_id = ?",
                                (key_id,))
        if row is None:
            return None
        return row[0], row[1], self.master.unseal(f"{key_id}/import/{row[0]}", row[2]), row[3]
