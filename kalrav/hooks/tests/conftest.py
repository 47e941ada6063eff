from __future__ import annotations

import pytest

from kalrav.hooks import services
from kalrav.workspaces.audit import Actor

# A literal public address: no name lookup, and respx answers for it in unit tests.
RECEIVER = "https://93.184.215.14/kalrav-hook"


@pytest.fixture
def endpoint_with_secret(members):
    owner = members["owner"]
    return services.create_endpoint(
        owner,
        Actor(user=owner.user),
        url=RECEIVER,
        events=["message.received", "sla.breached"],
        description="Helpdesk",
    )


@pytest.fixture
def commit(django_capture_on_commit_callbacks):
    """Run what services queue for after the commit (the test's transaction never commits)."""
    return django_capture_on_commit_callbacks
