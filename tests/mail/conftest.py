"""Fixtures for the mail adapter tests."""

from __future__ import annotations

import pytest

from tests.mail.mail_support import MakeContent, build_content


@pytest.fixture
def make_content() -> MakeContent:
    """``make_content(**overrides)``: a valid MailContent with the given fields replaced."""
    return build_content
