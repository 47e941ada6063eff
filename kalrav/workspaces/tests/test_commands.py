from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from kalrav.accounts.models import User
from kalrav.workspaces.models import Member, Workspace


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
