"""`kalrav demo`: the logins it prints work, and a second run changes nothing."""

from __future__ import annotations

from django.core.management import call_command

from kalrav.accounts.models import User
from kalrav.demo.workspaces import DEMO_EMAIL, DEMO_PASSWORD
from kalrav.workspaces.models import AuditEntry, BrandProfile, Member, Workspace


def test_demo_is_idempotent(db, capsys):
    call_command("demo")
    first = capsys.readouterr().out
    assert f"Sign in as {DEMO_EMAIL} with password {DEMO_PASSWORD}" in first
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
    assert User.objects.get(email=DEMO_EMAIL).check_password(DEMO_PASSWORD)
