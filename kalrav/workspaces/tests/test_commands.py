from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from kalrav.accounts.models import User
from kalrav.workspaces import demo
from kalrav.workspaces.models import AuditEntry, BrandProfile, Member, Workspace


def test_demo_is_idempotent(db, capsys):
    call_command("demo")
    first = capsys.readouterr().out
    assert f"Sign in as {demo.DEMO_EMAIL} with password {demo.DEMO_PASSWORD}" in first
    counts = (
        User.objects.count(),
        Workspace.objects.count(),
        Member.objects.count(),
        AuditEntry.objects.count(),
    )
    call_command("demo")
    assert (
        User.objects.count(),
        Workspace.objects.count(),
        Member.objects.count(),
        AuditEntry.objects.count(),
    ) == counts
    tea = Workspace.objects.get(slug="shanti-tea")
    assert set(Member.objects.filter(workspace=tea).values_list("role", flat=True)) == {
        "owner",
        "manager",
        "editor",
        "agent",
        "analyst",
        "client",
    }
    assert BrandProfile.objects.get(workspace=tea).required_hashtags == ["#ShantiTea"]
    assert User.objects.get(email=demo.DEMO_EMAIL).check_password(demo.DEMO_PASSWORD)


def test_createadmin_with_a_workspace(db, monkeypatch):
    monkeypatch.setenv("KALRAV_ADMIN_PASSWORD", "a long admin passphrase")
    call_command(
        "createadmin",
        "--email",
        "Admin@Example.test",
        "--workspace",
        "First Brand",
        "--password-from-env",
    )
    admin = User.objects.get(email="admin@example.test")
    assert admin.is_superuser
    assert Member.objects.get(user=admin).role == "owner"


@pytest.mark.parametrize(
    ("email", "password", "message"),
    [
        ("not-an-email", "a long admin passphrase", "not an email"),
        ("x@example.test", "123", "too short"),
    ],
)
def test_createadmin_refuses_bad_input(db, monkeypatch, email, password, message):
    monkeypatch.setenv("KALRAV_ADMIN_PASSWORD", password)
    with pytest.raises(CommandError, match=message):
        call_command("createadmin", "--email", email, "--workspace", "W", "--password-from-env")
    assert not User.objects.exists()
    assert not Workspace.objects.exists()
