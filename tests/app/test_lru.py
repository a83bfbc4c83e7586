import threading

import pytest

from app.lru import Lru


def test_the_least_recently_used_entry_is_forgotten_first():
    cache = Lru(2)
    cache.put("a", 1)
    cache.put("b", 2)
    assert cache.get("a") == 1
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b"), cache.get("c")) == (1, None, 3)
    assert len(cache) == 2


def test_putting_a_key_again_replaces_its_value_and_refreshes_it():
    cache = Lru(2)
    cache.put("a", 1)
    cache.put("b", 2)
    cache.put("a", 10)
    cache.put("c", 3)
    assert (cache.get("a"), cache.get("b")) == (10, None)


def test_a_missing_key_is_none():
    assert Lru(1).get("nope") is None


def test_an_empty_bound_is_refused():
    with pytest.raises(ValueError, match="at least one entry"):
        Lru(0)


def test_many_threads_never_push_it_past_its_bound():
    cache = Lru(50)

    def fill(base: int) -> None:
        for n in range(500):
            cache.put((base, n), n)
            cache.get((base, n - 1))

    threads = [threading.Thread(target=fill, args=(b,)) for b in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(cache) == 50
