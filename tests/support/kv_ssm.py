"""A test-only provider: SSM PutParameter/GetParameter over the real store.

It exists so that foundation tests can drive a real write path (gateway ->
json protocol -> provider -> SQLite commit -> response) before the SSM issue
lands; it is loaded only through the ``providers`` setting in tests.
"""
from nubis.protocol.errors import ServiceError
from nubis.services.base import Provider


class KvSsm(Provider):
    service = "ssm"
    migrations = [
        """
        CREATE TABLE ssm_kv (
            account TEXT NOT NULL, region TEXT NOT NULL, name TEXT NOT NULL, value TEXT NOT NULL,
            version INTEGER NOT NULL,
            PRIMARY KEY (account, region, name)
        );
        """
    ]

    def put_parameter(self, ctx, params):
        with self.db.transaction():
            row = self.db.query_one("SELECT version FROM ssm_kv WHERE account = ? AND region = ? AND name = ?",
                                    (ctx.account, ctx.region, params["Name"]))
            version = (row[0] + 1) if row else 1
            self.db.execute(
                "INSERT INTO ssm_kv(account, region, name, value, version) VALUES (?, ?, ?, ?, ?) "
                "ON CONFLICT(account, region, name) DO UPDATE SET value = excluded.value, version = excluded.version",
                (ctx.account, ctx.region, params["Name"], params["Value"], version))
        return {"Version": version, "Tier": "Standard"}

    def get_parameter(self, ctx, params):
        row = self.db.query_one("SELECT value, version FROM ssm_kv WHERE account = ? AND region = ? AND name = ?",
                                (ctx.account, ctx.region, params["Name"]))
        if row is None:
            raise ServiceError("ParameterNotFound", "", status=400)
        return {"Parameter": {"Name": params["Name"], "Value": row[0], "Version": row[1], "Type": "String"}}

    def delete_parameter(self, ctx, params):
        raise RuntimeError("a bug in a provider")

    async def get_parameters(self, ctx, params):
        # One service calling another in-process, as a service principal.
        ident = await self.internal.call("sts", "GetCallerIdentity", account=ctx.account, region=ctx.region,
                                         principal="ssm.amazonaws.com")
        return {"Parameters": [{"Name": n, "Value": ident["Arn"], "Type": "String"} for n in params["Names"]],
                "InvalidParameters": []}
