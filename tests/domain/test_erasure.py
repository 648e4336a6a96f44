"""What stands for a provider account in an erasure record (``account_key``): the SHA-256
of provider, unit separator (0x1F), account id, in hex. Expected digests from coreutils:
``printf 'zoom\x1fabc' | sha256sum``."""

from __future__ import annotations

from meetlink.domain.erasure import account_key


def test_the_key_is_the_sha256_of_provider_and_account() -> None:
    assert account_key("zoom", "abc") == (
        "95a32dedbb51b143da5ac717e19d5aed2020c09e046bb4459009247870982a60"
    )
    assert account_key("teams", "abc") == (
        "60a8ad16baa465ca22bdb90294e5130543cb2c1504ba28d71bcfef4d11036159"
    )
