"""Provisioned concurrency's environments: started when the config is put,
before any invocation, so that the version's first invocations find them warm.

They are the pool's own environments, started as the pool would, with
``AWS_LAMBDA_INITIALIZATION_TYPE=provisioned-concurrency``; their init is not
reported with an invocation (Lambda reports no Init Duration for them), and
they are not reaped for idleness until they have served an invocation.
They go with their function like any idle environment.
"""
from __future__ import annotations

import asyncio
import logging

from .environments import Environment, Target

log = logging.getLogger("nubis.lambda")


async def prestart(provider, fn, version: str, cfg: dict, blob: str, count: int) -> int:
    """Start ``count`` environments of a version, idle in the pool; how many started."""
    layers = [found[1] for layer in cfg.get("Layers") or []
              if (found := provider.layer_by_arn_for(fn, layer["Arn"])) is not None]
    target = Target(fn.account, fn.region, fn.name, version, cfg, blob, layers)
    pool = provider.pool
    have = sum(1 for e in pool.idle.get(target.key, []) if getattr(e, "init_type", None))
    started = 0
    for _ in range(max(0, count - have)):
        env = Environment(pool, target)
        env.init_type = "provisioned-concurrency"
        env.init_reported = True
        env.last_used = float("inf")  # not idle until it has been used
        pool.all.add(env)
        provider.environment_started()
        try:
            await env.start()
        except asyncio.CancelledError:  # the config was deleted meanwhile
            env.kill()
            raise
        except Exception as e:  # an invocation will meet the same error and report it
            log.info("provisioned environment of %s:%s did not start: %s", fn.name, version, e)
            env.kill()
            break
        if env.state == "dead" or provider.store.get(fn.account, fn.region, fn.name) is None:
            # Reset, or the function deleted, while it started.
            env.kill()
            env._killpg()
            break
        env.state = "idle"  # waiting for its first event, as warm ones do (so deleting the function stops it)
        pool.idle.setdefault(target.key, []).append(env)
        started += 1
        await asyncio.sleep(0)
    return started


def release(provider, fn, version: str) -> None:
    """The config is gone: its environments that are not serving an invocation stop."""
    for env in list(provider.pool.all):
        t = env.target
        if (getattr(env, "init_type", None) and (t.account, t.region, t.name, t.version)
                == (fn.account, fn.region, fn.name, version) and env.state != "busy"):
            env.kill()
