"""Sync fixtures: field users whose accounts predate their offline work."""

from datetime import UTC, datetime, timedelta

import pytest

from tests.conftest import TOWNSHIP1


@pytest.fixture
def field_auth(auth, make_user):
    """auth(...) for a user created a month ago (no before_account flag on old work)."""

    def login(role="township_inspector", region=TOWNSHIP1):
        user = make_user(role=role, region=region,
                         created_at=datetime.now(UTC) - timedelta(days=30))
        return auth(user=user)

    return login
