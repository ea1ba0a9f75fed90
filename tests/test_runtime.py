"""The scheduler and clock: timers fire in order on the controllable clock and
survive a restart. The runtime is driven directly here; the wire API of the
clock is covered in test_nubis_api.py."""
import asyncio

import pytest

from nubis.config import Config
from nubis.runtime.core import Runtime


def make(tmp_path):
    return Runtime(Config(data_dir=str(tmp_path), ephemeral=False))


def run(coro):
    return asyncio.run(coro)


def test_timers_fire_in_due_order_when_the_clock_advances(tmp_path):
    async def main():
        rt = make(tmp_path)
        fired = []
        rt.scheduler.on("test:t", lambda p: fired.append((p["n"], round(rt.clock.now() - start))))
        await rt.start()
        start = rt.clock.now()
        rt.scheduler.after(300, "test:t", {"n": 3})
        rt.scheduler.after(100, "test:t", {"n": 1})
        rt.scheduler.after(200, "test:t", {"n": 2})
        rt.scheduler.after(10_000, "test:t", {"n": 4})
        await rt.scheduler.advance(250)
        assert [n for n, _ in fired] == [1, 2]
        await rt.scheduler.advance(100)
        assert [n for n, _ in fired] == [1, 2, 3]
        await rt.stop()
    run(main())


def test_a_handler_may_schedule_work_that_is_already_due(tmp_path):
    async def main():
        rt = make(tmp_path)
        fired = []

        def chain(p):
            fired.append(p["n"])
            if p["n"] < 3:
                rt.scheduler.after(10, "test:chain", {"n": p["n"] + 1})
        rt.scheduler.on("test:chain", chain)
        await rt.start()
        rt.scheduler.after(10, "test:chain", {"n": 1})
        await rt.scheduler.advance(100)
        assert fired == [1, 2, 3]
        await rt.stop()
    run(main())


def test_recurring_work_fires_each_period(tmp_path):
    async def main():
        rt = make(tmp_path)
        fired = []
        rt.scheduler.on("test:every", lambda p: fired.append(1))
        await rt.start()
        rt.scheduler.after(60, "test:every", every=60, key="tick")
        await rt.scheduler.advance(60 * 5 + 1)
        assert len(fired) == 5
        assert rt.scheduler.cancel("test:every", "tick")
        await rt.scheduler.advance(600)
        assert len(fired) == 5
        await rt.stop()
    run(main())


def test_keyed_timer_is_moved_not_duplicated(tmp_path):
    async def main():
        rt = make(tmp_path)
        rt.scheduler.after(100, "test:k", {"v": 1}, key="same")
        rt.scheduler.after(500, "test:k", {"v": 2}, key="same")
        pending = rt.scheduler.pending("test:")
        assert len(pending) == 1 and '"v": 2' in pending[0]["payload"]
        await rt.stop()
    run(main())


def test_timers_and_clock_survive_a_restart(tmp_path):
    async def first():
        rt = make(tmp_path)
        await rt.start()
        await rt.scheduler.advance(1000)
        rt.scheduler.after(50, "test:later", {"x": 1})
        await rt.stop()

    async def second():
        rt = make(tmp_path)
        fired = []
        rt.scheduler.on("test:later", lambda p: fired.append(p))
        assert rt.clock.offset >= 1000
        await rt.start()
        await rt.scheduler.advance(60)
        assert fired == [{"x": 1}]
        await rt.stop()
    run(first())
    run(second())


def test_sleep_until_wakes_when_the_clock_moves(tmp_path):
    async def main():
        rt = make(tmp_path)
        await rt.start()
        woke = asyncio.Event()

        async def sleeper():
            await rt.scheduler.sleep_until(rt.clock.now() + 3600)
            woke.set()
        task = asyncio.create_task(sleeper())
        await asyncio.sleep(0.05)
        assert not woke.is_set()
        await rt.scheduler.advance(3600)
        await asyncio.wait_for(woke.wait(), 2)
        await task
        await rt.stop()
    run(main())


def test_sleep_until_wakes_in_real_time(tmp_path):
    async def main():
        rt = make(tmp_path)
        await rt.start()
        await asyncio.wait_for(rt.scheduler.sleep_until(rt.clock.now() + 0.05), 2)
        await rt.stop()
    run(main())


def test_real_time_timers_fire_without_advancing(tmp_path):
    async def main():
        rt = make(tmp_path)
        done = asyncio.Event()
        rt.scheduler.on("test:soon", lambda p: done.set())
        await rt.start()
        rt.scheduler.after(0.05, "test:soon")
        await asyncio.wait_for(done.wait(), 2)
        await rt.stop()
    run(main())


def test_a_failing_handler_does_not_stop_the_others(tmp_path):
    async def main():
        rt = make(tmp_path)
        fired = []

        def boom(p):
            raise RuntimeError("boom")
        rt.scheduler.on("test:boom", boom)
        rt.scheduler.on("test:ok", lambda p: fired.append(1))
        await rt.start()
        rt.scheduler.after(1, "test:boom")
        rt.scheduler.after(2, "test:ok")
        await rt.scheduler.advance(5)
        assert fired == [1]
        await rt.stop()
    run(main())


def test_clock_never_goes_back(tmp_path):
    rt = make(tmp_path)
    with pytest.raises(ValueError):
        rt.clock.shift(-1)
    run(rt.stop())
