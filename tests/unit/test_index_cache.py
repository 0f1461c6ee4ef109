"""domain.search.vocabulary.IndexCache: loaded once, reloaded aside when stale, never lost."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest

from domain.search.vocabulary import IndexCache


class Loads:
    """A loader giving 1, 2, 3… per call, or raising while `failing`."""

    def __init__(self) -> None:
        self.calls = 0
        self.failing = False

    def __call__(self, _client: Any, _index: str) -> int:
        if self.failing:
            raise RuntimeError("Elasticsearch went away")
        self.calls += 1
        return self.calls


def _cache(loads: Loads, now: list[float],
           spawn: Callable[[Callable[[], None]], None] = lambda work: work()) -> IndexCache[int]:
    return IndexCache(loads, ttl_s=60, clock=lambda: now[0], spawn=spawn)


def test_the_first_get_loads_and_later_ones_reuse_it() -> None:
    loads, now = Loads(), [0.0]
    cache = _cache(loads, now)
    assert cache.get(None, "i") == 1  # type: ignore[arg-type]
    now[0] = 59.0
    assert cache.get(None, "i") == 1  # type: ignore[arg-type]
    assert loads.calls == 1


def test_a_stale_value_is_served_while_it_reloads_once() -> None:
    loads, now, spawned = Loads(), [0.0], []
    cache = _cache(loads, now, spawn=spawned.append)
    cache.get(None, "i")  # type: ignore[arg-type]
    now[0] = 61.0
    assert [cache.get(None, "i") for _ in range(3)] == [1, 1, 1]  # type: ignore[arg-type]
    assert len(spawned) == 1  # one reload at a time, however many searches saw it stale
    spawned[0]()
    assert cache.get(None, "i") == 2  # type: ignore[arg-type]


def test_a_failed_reload_keeps_the_old_value_and_is_tried_again(
        caplog: pytest.LogCaptureFixture) -> None:
    loads, now = Loads(), [0.0]
    cache = _cache(loads, now)
    cache.get(None, "i")  # type: ignore[arg-type]
    now[0], loads.failing = 61.0, True
    assert cache.get(None, "i") == 1  # type: ignore[arg-type]
    assert "reloading the cached" in caplog.text
    loads.failing = False
    assert cache.get(None, "i") == 1  # type: ignore[arg-type]  # served, reloaded aside
    assert cache.get(None, "i") == 2  # type: ignore[arg-type]


def test_indexes_are_cached_apart() -> None:
    loads, now = Loads(), [0.0]
    cache = _cache(loads, now)
    assert (cache.get(None, "a"), cache.get(None, "b")) == (1, 2)  # type: ignore[arg-type]


def test_the_default_reload_runs_on_another_thread() -> None:
    seen: list[str] = []
    reloaded = threading.Event()

    def load(_client: Any, _index: str) -> str:
        seen.append(threading.current_thread().name)
        if len(seen) > 1:
            reloaded.set()
        return "v"

    now = [0.0]
    cache = IndexCache(load, ttl_s=60, clock=lambda: now[0])
    cache.get(None, "i")  # type: ignore[arg-type]
    now[0] = 61.0
    cache.get(None, "i")  # type: ignore[arg-type]
    assert reloaded.wait(5)
    assert seen[0] == threading.current_thread().name and seen[1] != seen[0]
