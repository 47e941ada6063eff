from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from kalrav.workspaces import services
from kalrav.workspaces.audit import Actor
from kalrav.workspaces.models import AuditEntry, BrandProfile, Member, Workspace


def test_brand_profile_edit_is_audited_with_changed_fields(client, members, workspace):
    client.force_login(members["manager"].user)
    response = client.post(
        f"/w/{workspace.slug}/settings/brand/edit/",
        {
            "mission": "Honest tea for every street",
            "strengths": "Loyal regulars",
            "banned_words": "cheapest\nmiracle, cheapest",
            "required_hashtags": "ShantiTea",
            "network_notes": "Instagram: photo first\nX: one idea per post",
        },
    )
    assert response.status_code == 302
    profile = BrandProfile.objects.get(workspace=workspace)
    assert profile.mission == "Honest tea for every street"
    assert profile.banned_words == ["cheapest", "miracle"]
    assert profile.required_hashtags == ["#ShantiTea"]
    assert profile.network_notes == {"instagram": "photo first", "x": "one idea per post"}
    entry = AuditEntry.objects.get(workspace=workspace, action="brand.update")
    assert entry.actor == members["manager"].user
    assert set(entry.changes) == {
        "mission",
        "strengths",
        "banned_words",
        "required_hashtags",
        "network_notes",
    }
    assert entry.changes["mission"] == ["", "Honest tea for every street"]
    page = client.get(f"/w/{workspace.slug}/settings/audit/").content.decode()
    assert "changed the brand profile" in page
    assert "Honest tea for every street" in page


def test_saving_without_changes_writes_no_audit_entry(members, workspace):
    manager = members["manager"]
    services.update_brand_profile(manager, Actor(user=manager.user), mission="Same")
    services.update_brand_profile(manager, Actor(user=manager.user), mission="Same")
    assert AuditEntry.objects.filter(action="brand.update").count() == 1


def test_bad_network_notes_are_refused_and_nothing_is_saved(client, members, workspace):
    client.force_login(members["owner"].user)
    response = client.post(
        f"/w/{workspace.slug}/settings/brand/edit/",
        {"mission": "New", "network_notes": "instagram without colon"},
    )
    assert response.status_code == 400
    assert "Line 1 needs a network name" in response.content.decode()
    assert BrandProfile.objects.get(workspace=workspace).mission == ""


def test_hashtags_with_spaces_are_refused(members):
    with pytest.raises(ValidationError):
        services.update_brand_profile(members["owner"], Actor(), required_hashtags=["#two words"])


def test_editor_cannot_edit_brand_even_through_the_service(members):
    with pytest.raises(PermissionDenied):
        services.update_brand_profile(members["editor"], Actor(), mission="x")


def test_brand_profile_is_visible_to_every_role(client, members, workspace):
    services.update_brand_profile(members["owner"], Actor(), mission="Tea for all", voice="Warm")
    for role, member in members.items():
        client.force_login(member.user)
        page = client.get(f"/w/{workspace.slug}/settings/brand/").content.decode()
        assert "Tea for all" in page, role
        assert ("Edit brand profile" in page) == (role in ("owner", "manager")), role


def test_last_owner_cannot_be_demoted_or_leave(members):
    owner = members["owner"]
    with pytest.raises(ValidationError):
        services.change_role(owner, Actor(), owner.pk, "manager")
    with pytest.raises(ValidationError):
        services.remove_member(owner, Actor(), owner.pk)
    assert Member.objects.get(pk=owner.pk).role == "owner"


def test_manager_cannot_touch_owners_or_make_owners(members):
    manager = members["manager"]
    with pytest.raises(PermissionDenied):
        services.change_role(manager, Actor(), members["owner"].pk, "client")
    with pytest.raises(PermissionDenied):
        services.change_role(manager, Actor(), members["editor"].pk, "owner")
    with pytest.raises(PermissionDenied):
        services.remove_member(manager, Actor(), members["owner"].pk)


def test_role_change_and_removal_are_audited(members, workspace):
    owner = members["owner"]
    services.change_role(owner, Actor(user=owner.user), members["agent"].pk, "editor")
    services.remove_member(owner, Actor(user=owner.user), members["client"].pk)
    actions = list(AuditEntry.objects.filter(workspace=workspace).values_list("action", flat=True))
    assert "member.role" in actions and "member.remove" in actions
    assert AuditEntry.objects.get(action="member.role").changes == {"role": ["agent", "editor"]}


def test_a_member_can_leave(client, members, workspace):
    agent = members["agent"]
    client.force_login(agent.user)
    assert (
        client.post(f"/w/{workspace.slug}/settings/members/{agent.pk}/remove/").status_code == 302
    )
    assert not Member.objects.filter(pk=agent.pk).exists()


def _png(size=(8, 8)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, "purple").save(out, "PNG")
    return out.getvalue()


def test_workspace_settings_with_logo_and_bad_time_zone(
    client, members, workspace, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(members["manager"].user)
    url = f"/w/{workspace.slug}/settings/"
    bad = client.post(url, {"name": "Acme", "time_zone": "Mars/Base", "language": "en"})
    assert bad.status_code == 400
    assert Workspace.objects.get(pk=workspace.pk).time_zone == "Asia/Kolkata"
    not_image = client.post(
        url,
        {
            "name": "Acme",
            "time_zone": "UTC",
            "language": "en",
            "logo": SimpleUploadedFile("logo.png", b"not an image"),
        },
    )
    assert not_image.status_code == 400
    good = client.post(
        url,
        {
            "name": "Acme Tea House",
            "time_zone": "Europe/Athens",
            "language": "el",
            "logo": SimpleUploadedFile("logo.png", _png()),
        },
    )
    assert good.status_code == 302
    workspace.refresh_from_db()
    assert (workspace.name, workspace.time_zone, workspace.language) == (
        "Acme Tea House",
        "Europe/Athens",
        "el",
    )
    assert workspace.logo.name.startswith("logos/")
    entry = AuditEntry.objects.get(action="workspace.update")
    assert entry.changes["time_zone"] == ["Asia/Kolkata", "Europe/Athens"]


def test_create_workspace_makes_the_creator_owner(client, outsider):
    client.force_login(outsider)
    response = client.post(
        "/workspaces/new/",
        {"name": "Ελληνικό Καφέ", "time_zone": "Europe/Athens", "language": "el"},
    )
    assert response.status_code == 302
    workspace = Workspace.objects.get(name="Ελληνικό Καφέ")
    assert workspace.slug
    assert Member.objects.get(workspace=workspace, user=outsider).role == "owner"
    assert BrandProfile.objects.filter(workspace=workspace).exists()
    empty = client.post("/workspaces/new/", {"name": "  ", "time_zone": "UTC", "language": "en"})
    assert empty.status_code == 400


def test_switcher_lists_only_own_workspaces(client, members, workspace, outsider):
    client.force_login(members["owner"].user)
    page = client.get(f"/w/{workspace.slug}/settings/brand/").content.decode()
    assert "Acme Tea" in page
    assert "Other Brand" not in page


def test_logo_is_served_to_signed_in_people_only(client, members, workspace, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(members["owner"].user)
    client.post(
        f"/w/{workspace.slug}/settings/",
        {
            "name": "Acme",
            "time_zone": "UTC",
            "language": "en",
            "logo": SimpleUploadedFile("logo.png", _png()),
        },
    )
    workspace.refresh_from_db()
    page = client.get(f"/w/{workspace.slug}/settings/brand/").content.decode()
    assert workspace.logo.url in page
    assert client.get(workspace.logo.url).status_code == 200
    client.logout()
    assert client.get(workspace.logo.url).status_code == 302


def test_the_current_workspace_is_remembered_without_a_session_write_per_page(
    client, members, workspace
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(members["manager"].user)
    assert client.get(f"/w/{workspace.slug}/settings/audit/").status_code == 200
    assert client.session["kalrav_workspace"] == workspace.slug
    with CaptureQueriesContext(connection) as queries:
        assert client.get(f"/w/{workspace.slug}/settings/audit/").status_code == 200
    writes = [
        q["sql"] for q in queries if "django_session" in q["sql"] and "SELECT" not in q["sql"]
    ]
    assert writes == []
