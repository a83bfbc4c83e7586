from engine.kernel import rwsem
from engine.kernel.locks import MMAP_SEM, page_lock
from engine.kernel.rwsem import READ, WAIT, WRITE, Lock


def held_by(*readers: str, writer: str | None = None, queue=()) -> Lock:
    return Lock(MMAP_SEM, writer=writer, readers=tuple(readers), queue=tuple(queue))


def test_readers_share_the_lock():
    lock = rwsem.take(held_by("A"), "B", READ)
    assert lock.readers == ("A", "B")


def test_queued_writer_blocks_new_readers():
    lock = held_by("A", queue=[("B", WRITE)])
    assert not rwsem.can_take(lock, READ)


def test_reader_gets_in_when_nobody_waits():
    assert rwsem.can_take(held_by("A"), READ)


def test_writer_needs_the_lock_free():
    assert not rwsem.can_take(held_by("A"), WRITE)
    assert rwsem.can_take(held_by(), WRITE)


def test_trylock_fails_while_a_writer_holds():
    assert not rwsem.can_take(held_by(writer="A"), READ)


def test_trylock_fails_while_anyone_waits_even_with_only_readers_holding():
    assert not rwsem.can_take(held_by("A", queue=[("C", READ)]), READ)


def test_release_wakes_the_head_writer_alone():
    lock = held_by("A", queue=[("B", WRITE), ("C", WRITE), ("D", READ)])
    lock, woken = rwsem.release(lock, "A", READ)
    assert woken == ("B",) and lock.writer == "B"
    assert lock.queue == (("C", WRITE), ("D", READ))


def test_release_wakes_all_leading_readers_and_stops_at_a_writer():
    lock = held_by(writer="A", queue=[("B", READ), ("C", READ), ("D", WRITE), ("E", READ)])
    lock, woken = rwsem.release(lock, "A", WRITE)
    assert woken == ("B", "C") and lock.readers == ("B", "C")
    assert lock.queue == (("D", WRITE), ("E", READ))


def test_last_reader_leaving_hands_over_to_the_writer_but_not_before():
    lock = held_by("A", "B", queue=[("C", WRITE)])
    lock, woken = rwsem.release(lock, "A", READ)
    assert woken == () and lock.writer is None
    lock, woken = rwsem.release(lock, "B", READ)
    assert woken == ("C",) and lock.writer == "C"


def test_page_waiters_are_woken_without_taking_the_lock():
    lock = Lock(page_lock(0x1000), writer="C", queue=(("K", WAIT),))
    lock, woken = rwsem.release(lock, "C", WRITE)
    assert woken == ("K",) and lock.is_free


def test_unbalanced_release_is_refused():
    assert rwsem.release(held_by("A"), "A", WRITE) is None
    assert rwsem.release(held_by("A"), "B", READ) is None
