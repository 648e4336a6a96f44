"""Tokens at rest (RELIABILITY 2.1, scenarios 8 and 9): no plaintext in the rows, key rotation,
wrong keys and ciphertexts moved between rows, on every SQL backend."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import delete, select, update

from meetlink.adapters.sqlalchemy import SqlStorage, generate_key, metadata
from meetlink.adapters.sqlalchemy import tables as t
from meetlink.errors import ConfigurationError, CredentialError

from .factories import link, pending, tokens

SECRETS = ("access-plaintext", "refresh-plaintext", "verifier-plaintext")


@pytest.fixture
def key() -> str:
    """This test's first key."""
    return generate_key()


@pytest.fixture
def schema(database_url: str) -> Iterator[str]:
    """The module's database with empty meetlink tables."""
    storage = SqlStorage(database_url, encryption_keys=[generate_key()], create_schema=True)
    with storage.engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(delete(table))
    storage.close()
    yield database_url


def _store_some(url: str, keys: list[str]) -> SqlStorage:
    storage = SqlStorage(url, encryption_keys=keys)
    with storage.unit_of_work() as uow:
        uow.links.add(link("l1", tokens=tokens(1)))
        uow.links.add(link("l2", user_id="u2", external_account_id="acct-2", tokens=tokens(2)))
        uow.links.add(link("l3", user_id="u3", external_account_id="acct-3", tokens=None))
        uow.auth_states.add(pending("s1"))
        uow.commit()
    return storage


def _raw_text(storage: SqlStorage) -> str:
    dump: list[str] = []
    with storage.engine.connect() as conn:
        for table in metadata.sorted_tables:
            dump.extend(repr(tuple(row)) for row in conn.execute(select(table)))
    return "\n".join(dump)


def test_rows_hold_no_plaintext_secret(schema: str, key: str) -> None:
    storage = _store_some(schema, [key])
    raw = _raw_text(storage)
    assert "l1" in raw  # the dump does contain the rows
    for secret in (*SECRETS, "state-1"):
        assert secret not in raw
    storage.close()


def test_rotation_keeps_every_row_readable(schema: str, key: str) -> None:
    old = _store_some(schema, [key])
    old.close()
    new_key = generate_key()
    both = SqlStorage(schema, encryption_keys=[new_key, key])
    assert both.rotate_keys() == 3  # two token sets and one verifier
    both.close()
    rotated = SqlStorage(schema, encryption_keys=[new_key])
    with rotated.unit_of_work() as uow:
        first = uow.links.get("l1")
        assert first is not None and first.tokens == tokens(1)
        second = uow.links.get("l2")
        assert second is not None and second.tokens == tokens(2)
        assert uow.auth_states.take("s1") == pending("s1")
    rotated.close()
    stale = SqlStorage(schema, encryption_keys=[key])
    with stale.unit_of_work() as uow:
        unread = uow.links.get("l2")
        assert unread is not None and unread.tokens is None
        with pytest.raises(CredentialError):
            unread.readable_tokens()
    stale.close()


def test_rotation_skips_rows_no_key_reads(schema: str, key: str) -> None:
    _store_some(schema, [key]).close()
    stranger = SqlStorage(schema, encryption_keys=[generate_key()])
    with stranger.unit_of_work() as uow:
        uow.links.add(link("l9", user_id="u9", external_account_id="acct-9", tokens=tokens(9)))
        uow.commit()
    stranger.close()
    storage = SqlStorage(schema, encryption_keys=[generate_key(), key])
    assert storage.rotate_keys() == 3  # l9 is left as it was, the batch goes on
    with storage.unit_of_work() as uow:
        assert uow.links.get("l1") is not None
    storage.close()


def test_wrong_key_names_the_problem(schema: str, key: str) -> None:
    _store_some(schema, [key]).close()
    wrong = SqlStorage(schema, encryption_keys=[generate_key()])
    with wrong.unit_of_work() as uow:
        unread = uow.links.get("l1")  # the link reads; only its tokens do not
        assert unread is not None and unread.tokens is None and unread.user_id == "u1"
        with pytest.raises(CredentialError) as info:
            unread.readable_tokens()
        message = str(info.value)
        assert "link l1" in message and "key" in message
        assert not any(secret in message for secret in SECRETS)
        assert uow.links.get("l3") is not None  # a link without tokens reads fine
        with pytest.raises(CredentialError, match="OAuth state"):
            uow.auth_states.take("s1")
    wrong.close()


def test_ciphertext_copied_to_another_row_is_rejected(schema: str, key: str) -> None:
    """Scenario 9: user 1's tokens pasted onto user 2's row are detected, not used."""
    storage = _store_some(schema, [key])
    with storage.engine.begin() as conn:
        stolen = conn.execute(select(t.links.c.tokens).where(t.links.c.id == "l1")).scalar_one()
        conn.execute(update(t.links).where(t.links.c.id == "l2").values(tokens=stolen))
    with storage.unit_of_work() as uow:
        moved = uow.links.get("l2")
        assert moved is not None and moved.tokens is None
        with pytest.raises(CredentialError, match="another row") as info:
            moved.readable_tokens()
        assert not any(secret in str(info.value) for secret in SECRETS)
        first = uow.links.get("l1")
        assert first is not None and first.tokens == tokens(1)
    storage.close()


def test_tampered_ciphertext_is_rejected(schema: str, key: str) -> None:
    storage = _store_some(schema, [key])
    with storage.engine.begin() as conn:
        conn.execute(update(t.links).where(t.links.c.id == "l1").values(tokens="gAAAAAB-junk"))
    with storage.unit_of_work() as uow:
        tampered = uow.links.get("l1")
        assert tampered is not None
        with pytest.raises(CredentialError, match="cannot be decrypted"):
            tampered.readable_tokens()
    storage.close()


@pytest.mark.parametrize(
    ("keys", "problem"),
    [
        (None, "encryption_keys is required"),
        ([], "encryption_keys is required"),
        ("a-single-string", "encryption_keys is required"),
        (["not-a-key"], "key #1 is malformed"),
        ([generate_key(), "x" * 44], "key #2 is malformed"),
        ([b"\xff" * 44], "key #1 is malformed"),
    ],
)
def test_missing_or_malformed_keys_are_refused(keys: object, problem: str) -> None:
    with pytest.raises(ConfigurationError, match=problem):
        SqlStorage("sqlite://", encryption_keys=keys)  # type: ignore[arg-type]


def test_generated_keys_work_as_bytes_too() -> None:
    storage = SqlStorage(
        "sqlite://", encryption_keys=[generate_key().encode("ascii")], create_schema=True
    )
    with storage.unit_of_work() as uow:
        uow.links.add(link("l1"))
        uow.commit()
    with storage.unit_of_work() as uow:
        stored = uow.links.get("l1")
        assert stored is not None and stored.tokens == tokens(1)
    storage.close()
