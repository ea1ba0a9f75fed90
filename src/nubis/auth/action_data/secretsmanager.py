"""AWS Secrets Manager (secret ARNs end in a random suffix; a secret's resource policy)."""
PREFIX = "secretsmanager"
ACTIONS: dict = {}
_SECRET = "arn:aws:secretsmanager:{region}:{account}:secret:{value}"
PARAMS = [("SecretId", _SECRET)]
RESOURCES = {"CreateSecret": [("Name", _SECRET + "-??????")]}


def POLICY(runtime, ctx, account: str, region: str, arn: str):
    found = _secret(runtime.provider("secretsmanager"), account, region, arn)
    return found.policy if found is not None else None


def _secret(provider, account, region, arn):
    try:
        return provider.find(account, region, arn) if provider is not None else None
    except Exception:
        return None


def resolve(runtime, ctx, account: str, region: str, arn: str) -> str:
    """A secret named without its suffix (by name or partial ARN) is its full ARN."""
    if ":secret:" not in arn or arn.endswith("-??????"):
        return arn
    found = _secret(runtime.provider("secretsmanager"), account, region, arn)
    return found.arn if found is not None else arn


def checks(runtime, ctx, params: dict, action: str):
    """BatchGetSecretValue: the batch action, and GetSecretValue on each secret it names."""
    if ctx.operation != "BatchGetSecretValue":
        return None
    found = [(action, "*", None)]
    for secret_id in params.get("SecretIdList") or ():
        arn = secret_id if secret_id.startswith("arn:") else _SECRET.format(region=ctx.region, account=ctx.account,
                                                                           value=secret_id)
        found.append(("secretsmanager:GetSecretValue", arn, None))
    return found
