"""Amazon EventBridge (event bus, rule, archive, replay, connection, API destination,
endpoint ARNs; PutEvents to another account's bus needs the bus's policy)."""
from ..actions import _call

PREFIX = "events"
ACTIONS: dict = {}
_BUS = "arn:aws:events:{region}:{account}:event-bus/{value}"
_RULE = "arn:aws:events:{region}:{account}:rule/{value}"
PARAMS = [("ResourceARN", None), ("EventBusName", _BUS)]
RESOURCES = {
    "CreateEventBus": [("Name", _BUS)], "DeleteEventBus": [("Name", _BUS)], "UpdateEventBus": [("Name", _BUS)],
    "DescribeEventBus": [("Name", _BUS), ("", "arn:aws:events:{region}:{account}:event-bus/default")],
    "PutPermission": [("EventBusName", _BUS)], "RemovePermission": [("EventBusName", _BUS)],
    **{op: [("Name", _RULE)] for op in ("PutRule", "DeleteRule", "DescribeRule", "EnableRule", "DisableRule")},
    **{op: [("Rule", _RULE)] for op in ("PutTargets", "RemoveTargets", "ListTargetsByRule")},
    **{op: [("ArchiveName", "arn:aws:events:{region}:{account}:archive/{value}")]
       for op in ("CreateArchive", "DeleteArchive", "DescribeArchive", "UpdateArchive")},
    **{op: [("ReplayName", "arn:aws:events:{region}:{account}:replay/{value}")]
       for op in ("StartReplay", "CancelReplay", "DescribeReplay")},
    **{op: [("Name", "arn:aws:events:{region}:{account}:connection/{value}")]
       for op in ("CreateConnection", "DeleteConnection", "DescribeConnection", "UpdateConnection",
                  "DeauthorizeConnection")},
    **{op: [("Name", "arn:aws:events:{region}:{account}:api-destination/{value}")]
       for op in ("CreateApiDestination", "DeleteApiDestination", "DescribeApiDestination",
                  "UpdateApiDestination")},
    **{op: [("Name", "arn:aws:events:{region}::endpoint/{value}")]
       for op in ("CreateEndpoint", "DeleteEndpoint", "DescribeEndpoint", "UpdateEndpoint")},
    "ListRules": [], "ListEventBuses": [], "ListArchives": [], "ListReplays": [], "ListConnections": [],
    "ListApiDestinations": [], "ListEndpoints": [], "TestEventPattern": [],
}


def POLICY(runtime, ctx, account: str, region: str, arn: str):
    """A bus's policy (PutPermission): only buses have one."""
    if ":event-bus/" not in arn:
        return None
    out = _call(runtime, ctx, "events", "DescribeEventBus", account, region, {"Name": arn.rsplit("/", 1)[-1]})
    return (out or {}).get("Policy")


_RULE_OPS = {"PutRule": "Name", "DeleteRule": "Name", "DescribeRule": "Name", "EnableRule": "Name",
             "DisableRule": "Name", "PutTargets": "Rule", "RemoveTargets": "Rule", "ListTargetsByRule": "Rule"}


def checks(runtime, ctx, params: dict, action: str):
    """PutEvents: each entry's bus (the default bus when it names none), checked once each.
    A rule on a custom bus is ``rule/<bus>/<name>``."""
    if ctx.operation in _RULE_OPS:
        bus = (params.get("EventBusName") or "default").rsplit("/", 1)[-1]
        name = params.get(_RULE_OPS[ctx.operation])
        if bus == "default" or not name or str(name).startswith("arn:"):
            return None
        return [(action, f"arn:aws:events:{ctx.region}:{ctx.account}:rule/{bus}/{name}", None)]
    if ctx.operation != "PutEvents":
        return None
    buses = []
    for entry in params.get("Entries") or ():
        name = (entry or {}).get("EventBusName") or "default"
        arn = name if name.startswith("arn:") else _BUS.format(region=ctx.region, account=ctx.account, value=name)
        if arn not in buses:
            buses.append(arn)
    return [(action, arn, None) for arn in buses] or None
