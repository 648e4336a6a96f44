"""SqlStorage wiring: host engines, closed units of work, bad input, bad URLs."""

from __future__ import annotations

from datetime import datetime

import pytest
from sqlalchemy import create_engine, text

from meetlink.adapters.sqlalchemy import SqlStorage, generate_key, upgrade
from meetlink.errors import ConfigurationError, StorageError

from .factories import link


def test_a_host_engine_is_used_and_left_open(tmp_path: object) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/host.db")
    upgrade(engine)
    storage = SqlStorage(engine, encryption_keys=[generate_key()])
    with storage.unit_of_work() as uow:
        uow.links.add(link("l1"))
        uow.commit()
    storage.close()
    with engine.connect() as conn:  # still usable by the host
        assert conn.execute(text("SELECT count(*) FROM meetlink_links")).scalar_one() == 1
    engine.dispose()


def test_repositories_refuse_to_work_outside_the_block() -> None:
    storage = SqlStorage("sqlite://", encryption_keys=[generate_key()], create_schema=True)
    uow = storage.unit_of_work()
    with pytest.raises(StorageError, match="not open"):
        uow.links.get("l1")
    with uow:
        assert uow.links.get("l1") is None
    with pytest.raises(StorageError, match="not open"):
        uow.events.get("t1", "e1")
    storage.close()


def test_naive_datetimes_are_refused() -> None:
    storage = SqlStorage("sqlite://", encryption_keys=[generate_key()], create_schema=True)
    with storage.unit_of_work() as uow, pytest.raises(StorageError):
        uow.webhooks.record("zoom", "d", datetime(2026, 1, 1))
    storage.close()


def test_bad_urls_are_configuration_errors() -> None:
    with pytest.raises(ConfigurationError, match="cannot be parsed"):
        SqlStorage("not a url", encryption_keys=[generate_key()])
    with pytest.raises(ConfigurationError, match="engine"):
        SqlStorage("nosuchdb://x", encryption_keys=[generate_key()])


def test_a_read_only_unit_of_work_does_not_block_a_writer_on_sqlite(tmp_path: object) -> None:
    """WAL + a plain BEGIN for reads: a writer in another connection proceeds while a read is
    open (BEGIN IMMEDIATE for the read would make the writer wait for the busy timeout)."""
    import threading
    from pathlib import Path

    from meetlink.adapters.sqlalchemy import SqlStorage, generate_key
    from meetlink.domain.subscription import SubscriptionRecord

    url = f"sqlite:///{Path(str(tmp_path)) / 'ro.db'}"
    key = generate_key()
    reader = SqlStorage(url, encryption_keys=[key], create_schema=True)
    writer = SqlStorage(url, encryption_keys=[key], engine_options={"connect_args": {"timeout": 1}})
    try:
        done = threading.Event()
        with reader.unit_of_work(read_only=True) as uow:
            assert uow.subscriptions.get("t1") is None

            def write() -> None:
                with writer.unit_of_work() as w:
                    w.subscriptions.put(SubscriptionRecord(tenant_id="t1"))
                    w.commit()
                done.set()

            thread = threading.Thread(target=write)
            thread.start()
            assert done.wait(timeout=5), "the writer was blocked by a read-only unit of work"
            thread.join()
    finally:
        reader.close()
        writer.close()


def test_a_sqlite_unit_of_work_holds_the_write_lock_from_its_start(tmp_path: object) -> None:
    """BEGIN IMMEDIATE opens every writing unit of work, even one that has not yet read or
    written anything, and a read-only unit of work on the same pooled connection before it
    does not leave the next one a plain BEGIN: a second writer waits, here until its busy
    timeout, and fails."""
    from pathlib import Path

    from meetlink.adapters.sqlalchemy import SqlStorage, generate_key
    from meetlink.domain.subscription import SubscriptionRecord

    url = f"sqlite:///{Path(str(tmp_path)) / 'lock.db'}"
    key = generate_key()
    first = SqlStorage(url, encryption_keys=[key], create_schema=True)
    busy = {"connect_args": {"timeout": 0.05}}
    second = SqlStorage(url, encryption_keys=[key], engine_options=busy)
    try:
        with first.unit_of_work(read_only=True) as uow:
            assert uow.subscriptions.get("t1") is None
        with (
            first.unit_of_work(),
            pytest.raises(StorageError, match="opening a connection"),
            second.unit_of_work() as w,
        ):
            w.subscriptions.put(SubscriptionRecord(tenant_id="t1"))
            w.commit()
        with second.unit_of_work() as w:  # free again once the first unit of work ended
            w.subscriptions.put(SubscriptionRecord(tenant_id="t1"))
            w.commit()
    finally:
        first.close()
        second.close()
