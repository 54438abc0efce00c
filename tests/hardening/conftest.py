"""Fixtures for the hardening tests (issue 19): the sync, console and register ones."""

from tests.server.console.conftest import (
    console,  # noqa: F401
    world,  # noqa: F401
)
from tests.server.register.conftest import submit  # noqa: F401
from tests.sync.conftest import field_auth  # noqa: F401
