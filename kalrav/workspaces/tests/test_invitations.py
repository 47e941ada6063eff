from __future__ import annotations

import re

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from conftest import make_user
from kalrav.workspaces.models import AuditEntry, Invitation, Member


def _invite(client, members, email="newcomer@example.test", role="editor"):
    client.force_login(members["manager"].user)
    response = client.post(
        f"/w/{members['manager'].workspace.slug}/settings/members/", {"email": email, "role": role}
    )
    assert response.status_code == 302, response.content.decode()[:400]
    message = mail.outbox[-1]
    return re.search(r"/invite/([\w-]+)/", message.body).group(1), message


def test_invitation_email_link_and_signup(client, members, workspace):
    token, message = _invite(client, members)
    assert message.to == ["newcomer@example.test"]
    assert "Acme Tea" in message.subject
    client.post("/accounts/signout/")
    page = client.get(f"/invite/{token}/")
    assert page.status_code == 200
    response = client.post(
        f"/invite/{token}/",
        {"first_name": "Nila", "password": "tea leaves at dawn", "language": "bn"},
    )
    assert response.status_code == 302
    member = Member.objects.get(workspace=workspace, user__email="newcomer@example.test")
    assert member.role == "editor"
    assert member.user.language == "bn"
    assert AuditEntry.objects.filter(workspace=workspace, action="invitation.accept").exists()
    # A used link cannot be used twice (asked in English: the newcomer chose Bengali).
    client.cookies["django_language"] = "en"
    again = client.get(f"/invite/{token}/")
    assert again.status_code == 410
    assert "already accepted" in again.content.decode()


def test_expired_invitation_is_refused_and_changes_nothing(client, members, workspace):
    token, _ = _invite(client, members)
    client.post("/accounts/signout/")
    with time_machine.travel(timezone.now() + timezone.timedelta(days=8)):
        response = client.post(
            f"/invite/{token}/", {"first_name": "Late", "password": "tea leaves at dawn"}
        )
    assert response.status_code == 410
    assert "expired" in response.content.decode()
    assert not Member.objects.filter(
        workspace=workspace, user__email="newcomer@example.test"
    ).exists()
    from kalrav.accounts.models import User

    assert not User.objects.filter(email="newcomer@example.test").exists()


def test_withdrawn_and_unknown_links(client, members, workspace):
    token, _ = _invite(client, members)
    invitation = Invitation.objects.get(email="newcomer@example.test")
    client.post(f"/w/{workspace.slug}/settings/invitations/{invitation.pk}/revoke/")
    client.post("/accounts/signout/")
    assert "withdrawn" in client.get(f"/invite/{token}/").content.decode()
    assert client.get("/invite/not-a-real-token/").status_code == 410


def test_a_new_invitation_replaces_the_open_one(client, members):
    first, _ = _invite(client, members)
    second, _ = _invite(client, members, role="agent")
    client.post("/accounts/signout/")
    assert client.get(f"/invite/{first}/").status_code == 410
    assert client.get(f"/invite/{second}/").status_code == 200


def test_existing_account_signs_in_then_accepts(client, members, workspace):
    person = make_user("known@example.test")
    token, _ = _invite(client, members, email="known@example.test")
    client.post("/accounts/signout/")
    assert "Sign in" in client.get(f"/invite/{token}/").content.decode()
    client.force_login(person)
    assert client.post(f"/invite/{token}/").status_code == 302
    assert Member.objects.filter(workspace=workspace, user=person, role="editor").exists()


def test_invitation_for_someone_else_is_refused(client, members, workspace):
    token, _ = _invite(client, members, email="someone@example.test")
    intruder = make_user("intruder@example.test")
    client.force_login(intruder)
    response = client.post(f"/invite/{token}/")
    assert response.status_code == 400
    assert "someone@example.test" in response.content.decode()
    assert not Member.objects.filter(workspace=workspace, user=intruder).exists()


@pytest.mark.parametrize(("inviter", "role"), [("manager", "owner"), ("editor", "editor")])
def test_cannot_invite_above_oneself(client, members, workspace, inviter, role):
    client.force_login(members[inviter].user)
    response = client.post(
        f"/w/{workspace.slug}/settings/members/", {"email": "x@example.test", "role": role}
    )
    assert response.status_code in (400, 403)
    assert not Invitation.objects.filter(email="x@example.test").exists()


def test_inviting_a_member_again_is_refused(client, members, workspace):
    client.force_login(members["manager"].user)
    response = client.post(
        f"/w/{workspace.slug}/settings/members/", {"email": "AGENT@example.test", "role": "agent"}
    )
    assert response.status_code == 400
    assert "already a member" in response.content.decode()


def test_password_rules_apply_on_signup(client, members, workspace):
    token, _ = _invite(client, members)
    client.post("/accounts/signout/")
    response = client.post(f"/invite/{token}/", {"first_name": "Nila", "password": "123"})
    assert response.status_code == 400
    assert not Member.objects.filter(
        workspace=workspace, user__email="newcomer@example.test"
    ).exists()
