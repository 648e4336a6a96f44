"""Scenario 38: the shipped migrations produce exactly ``metadata`` on every backend, in their
own version table, through upgrade -> downgrade -> upgrade."""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect, pool

from meetlink.adapters.sqlalchemy import (
    current_revision,
    downgrade,
    ignore_meetlink_version,
    metadata,
    upgrade,
)
from meetlink.adapters.sqlalchemy.tables import VERSION_TABLE


def _only_meetlink(name: str | None, type_: str, parent_names: Any) -> bool:
    if type_ == "table":
        return name is not None and name.startswith("meetlink_") and name != VERSION_TABLE
    return True


def _differences(url: str) -> list[Any]:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_name": _only_meetlink}
            )
            return list(compare_metadata(context, metadata))
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_yields_exactly_the_metadata(fresh_database_url: str) -> None:
    missing = {diff[1].name for diff in _differences(fresh_database_url) if diff[0] == "add_table"}
    assert missing == set(metadata.tables)  # the comparison does see a wrong schema
    upgrade(fresh_database_url)
    assert _differences(fresh_database_url) == []
    tables = _tables(fresh_database_url)
    assert tables == {*metadata.tables, VERSION_TABLE}
    assert "alembic_version" not in tables  # never the host's version table


def test_upgrade_downgrade_upgrade(fresh_database_url: str) -> None:
    upgrade(fresh_database_url, "head")
    downgrade(fresh_database_url, "base")
    assert _tables(fresh_database_url) == set()  # the version table goes too
    assert current_revision(fresh_database_url) is None
    upgrade(fresh_database_url)
    assert _differences(fresh_database_url) == []
    upgrade(fresh_database_url)  # already at head: nothing to do


def test_create_schema_matches_the_migrations_too(fresh_database_url: str) -> None:
    engine = create_engine(fresh_database_url, poolclass=pool.NullPool)
    try:
        metadata.create_all(engine)
    finally:
        engine.dispose()
    assert _differences(fresh_database_url) == []


def _host_metadata(with_meetlink: bool) -> Any:
    from sqlalchemy import Column, Integer, MetaData, String, Table

    host = MetaData()
    Table("host_events", host, Column("id", Integer, primary_key=True), Column("title", String(80)))
    if with_meetlink:
        for table in metadata.tables.values():
            table.to_metadata(host)
    return host


def _host_differences(url: str, host: Any, include_name: Any) -> list[Any]:
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "include_name": include_name}
            )
            return list(compare_metadata(context, host))
    finally:
        engine.dispose()


def test_a_host_that_includes_meetlink_metadata_sees_no_difference(
    fresh_database_url: str,
) -> None:
    """Scenario 38: a host autogenerate over its tables plus ``meetlink.metadata`` is empty."""
    upgrade(fresh_database_url)
    host = _host_metadata(with_meetlink=True)
    engine = create_engine(fresh_database_url, poolclass=pool.NullPool)
    host.tables["host_events"].create(engine)
    engine.dispose()

    assert _host_differences(fresh_database_url, host, ignore_meetlink_version) == []
    # Without the documented filter, autogenerate proposes dropping meetlink's version table
    # (no metadata describes it): the filter is needed, and it hides nothing else.
    unfiltered = _host_differences(fresh_database_url, host, lambda *args: True)
    assert [(d[0], d[1].name) for d in unfiltered] == [("remove_table", VERSION_TABLE)]


def test_a_host_that_excludes_meetlink_never_drops_its_tables(fresh_database_url: str) -> None:
    """Scenario 38: with ``include_name=exclude_meetlink`` a host autogenerate that does not
    know meetlink's tables proposes no DROP of them (without it, it would)."""
    from meetlink.adapters.sqlalchemy import exclude_meetlink

    upgrade(fresh_database_url)
    host = _host_metadata(with_meetlink=False)
    engine = create_engine(fresh_database_url, poolclass=pool.NullPool)
    host.tables["host_events"].create(engine)
    engine.dispose()
    assert _host_differences(fresh_database_url, host, exclude_meetlink) == []
    unfiltered = _host_differences(fresh_database_url, host, lambda *args: True)
    dropped = {d[1].name for d in unfiltered if d[0] == "remove_table"}
    assert {name for name in metadata.tables} <= dropped


def test_0005_dates_active_links_by_linked_at_and_widens_meeting_ids(
    fresh_database_url: str,
) -> None:
    """Links linked before keep-alive existed are kept alive from their ``linked_at`` (their
    last refresh is not known); ended links stay out of the idle range; a Graph meeting id of
    150+ characters fits."""
    from sqlalchemy import text

    upgrade(fresh_database_url, "0004")
    linked = "2026-01-02 03:04:05"
    engine = create_engine(fresh_database_url, poolclass=pool.NullPool)
    add_link = text(
        "INSERT INTO meetlink_links (id, user_id, tenant_id, provider, external_account_id,"
        " account_id, email, plan, linked_at, token_version, active, reauth_required) VALUES"
        " (:id, :id, 't', 'zoom', :id, 'a', 'e@x.example', 'basic', :at, 0, :active, :no)"
    )
    with engine.begin() as conn:
        for link_id, active in (("on", True), ("off", False)):
            conn.execute(add_link, {"id": link_id, "at": linked, "active": active, "no": False})
    upgrade(fresh_database_url, "0005")
    with engine.begin() as conn:
        found = conn.execute(text("SELECT id, refreshed_at FROM meetlink_links"))
        rows = {link_id: refreshed_at for link_id, refreshed_at in found}
        assert rows["off"] is None and str(rows["on"]).startswith(linked)
        long_id = "M" * 400
        add_conference = text(
            "INSERT INTO meetlink_conferences (event_id, provider, external_account_id, status,"
            " marker, meeting_id, maybe_created, created_at) VALUES ('e', 'teams', 'a',"
            " 'issued', 'm', :mid, :no, :at)"
        )
        conn.execute(add_conference, {"mid": long_id, "no": False, "at": linked})
        assert conn.execute(text("SELECT meeting_id FROM meetlink_conferences")).scalar() == long_id
    engine.dispose()


def _string_collations(url: str) -> set[str]:
    """The collations of meetlink's string columns (MariaDB/MySQL; empty elsewhere)."""
    from sqlalchemy import text

    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            if conn.dialect.name not in ("mysql", "mariadb"):
                return set()
            rows = conn.execute(
                text(
                    "SELECT collation_name FROM information_schema.columns WHERE"
                    " table_schema = DATABASE() AND table_name LIKE 'meetlink\\_%'"
                    f" AND table_name <> '{VERSION_TABLE}' AND collation_name IS NOT NULL"
                )
            ).all()
            assert rows, "no string columns found"
            return {row[0] for row in rows}
    finally:
        engine.dispose()


@pytest.mark.parametrize("made_by", ["migrations", "create_all"])
def test_every_string_column_compares_exactly(fresh_database_url: str, made_by: str) -> None:
    """Issue 20, finding 4: MariaDB's ``utf8mb4_bin`` is PAD SPACE ('alice ' = 'alice'); every
    meetlink string column has the NO PAD binary collation instead, whether the schema came
    from the migrations or from ``metadata.create_all`` (SQLite and PostgreSQL compare code
    points already: the acceptance tests hold all three to the same answers)."""
    if made_by == "migrations":
        upgrade(fresh_database_url)
    else:
        engine = create_engine(fresh_database_url, poolclass=pool.NullPool)
        try:
            metadata.create_all(engine)
        finally:
            engine.dispose()
    found = _string_collations(fresh_database_url)
    assert found in (set(), {"utf8mb4_nopad_bin"}), found
    if fresh_database_url.startswith("mysql"):
        assert found == {"utf8mb4_nopad_bin"}
