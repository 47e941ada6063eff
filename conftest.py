"""Fixtures every test may use: a workspace with a member of each role, an outsider, clients."""

from __future__ import annotations

import os
import socket

import pytest
from django.core.cache import cache

from kalrav.accounts.models import User
from kalrav.workspaces import services
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import Member, Workspace
from kalrav.workspaces.permissions import Role

PASSWORD = "correct horse battery"


def require_service(name: str) -> None:
    """In CI a test that needs a service fails when it is missing; elsewhere it is skipped."""
    message = f"{name} is not available"
    if os.environ.get("CI"):
        pytest.fail(message + " (CI requires it)")
    pytest.skip(message)


_LOCAL = ("127.", "::1", "localhost", "0.0.0.0")  # noqa: S104 - loopback checks, nothing binds here


@pytest.fixture(autouse=True, scope="session")
def _no_internet():
    """Tests talk to loopback servers only: any other address fails loudly instead of leaking."""
    real_connect = socket.socket.connect

    def guarded(self, address):
        host = address[0] if isinstance(address, tuple) else address
        if (
            isinstance(host, str)
            and self.family in (socket.AF_INET, socket.AF_INET6)
            and not host.startswith(_LOCAL)
        ):
            raise ConnectionRefusedError(f"tests may not reach {host}: only loopback servers")
        return real_connect(self, address)

    socket.socket.connect = guarded  # type: ignore[method-assign]
    yield
    socket.socket.connect = real_connect  # type: ignore[method-assign]


@pytest.fixture(autouse=True)
def _clean_cache(db):
    cache.clear()
    yield
    cache.clear()


def make_user(email: str, **extra) -> User:
    return User.objects.create_user(email, PASSWORD, **extra)


@pytest.fixture
def owner(db) -> User:
    return make_user("owner@example.test", first_name="Olivia")


@pytest.fixture
def workspace(owner) -> Workspace:
    return services.create_workspace(
        owner, Actor(user=owner), name="Acme Tea", time_zone="Asia/Kolkata"
    )


@pytest.fixture
def members(workspace, owner) -> dict[str, Member]:
    """One member per role in `workspace`, keyed by role."""
    found = {Role.OWNER.value: Member.objects.get(workspace=workspace, user=owner)}
    for role in Role:
        if role == Role.OWNER:
            continue
        user = make_user(f"{role.value}@example.test", first_name=role.label)
        found[role.value] = Member.objects.create(workspace=workspace, user=user, role=role)
    return found


@pytest.fixture
def outsider(db) -> User:
    """Owner of another workspace, member of none of ours."""
    user = make_user("outsider@example.test")
    services.create_workspace(user, Actor(user=user), name="Other Brand")
    return user


@pytest.fixture
def member_client(client, members):
    def signed_in(role: str):
        client.force_login(members[role].user)
        return client

    return signed_in


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Test databases are dropped at the end even when a thread of a live test (a stream
    listener, the live server) still holds a PostgreSQL session: those are ended first, so old
    test databases do not pile up on a long-lived machine."""
    yield
    from django.db import connection

    if connection.vendor != "postgresql":
        return
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
