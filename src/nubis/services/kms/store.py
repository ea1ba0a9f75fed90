"""KMS's tables: keys, their material versions, aliases, grants and pending imports.

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
        self.load()

    def load(self) -> None:
        self.keys.clear()
        self.aliases.clear()
        self._material.clear()
        self._ids.clear()
        for r in self.db.query("SELECT doc FROM kms_keys"):
            k = Key(**json.loads(r[0]))
            self.keys[k.id] = k
        for r in self.db.query("SELECT account, region, name, key_id, created, updated FROM kms_aliases"):
            a = Alias(*r)
            self.aliases[(a.account, a.region, a.name)] = a

    # -- keys ---------------------------------------------------------------------------------

    def save(self, key: Key) -> None:
        self.db.execute("INSERT INTO kms_keys(id, account, region, doc) VALUES (?, ?, ?, ?) "
                        "ON CONFLICT(id) DO UPDATE SET doc = excluded.doc",
                        (key.id, key.account, key.region, json.dumps(asdict(key))))
        self.keys[key.id] = key

    def keys_in(self, account: str, region: str) -> list[Key]:
        return [k for k in self.keys.values() if k.account == account and k.region == region]

    def delete(self, key: Key) -> None:
        with self.db.transaction():
            self.db.execute("DELETE FROM kms_materials WHERE key_id = ?", (key.id,))
            self.db.execute("DELETE FROM kms_grants WHERE key_id = ?", (key.id,))
            self.db.execute("DELETE FROM kms_imports WHERE key_id = ?", (key.id,))
            self.db.execute("DELETE FROM kms_aliases WHERE key_id = ?", (key.id,))
            self.db.execute("DELETE FROM kms_keys WHERE id = ?", (key.id,))
        self.keys.pop(key.id, None)
        self._ids.pop(key.id, None)
        for name in [n for n, a in self.aliases.items() if a.key_id == key.id]:
            del self.aliases[name]
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
