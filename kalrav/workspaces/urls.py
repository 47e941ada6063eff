from django.urls import path

from kalrav.workspaces import views

app_name = "workspaces"

urlpatterns = [
    path("w/<slug:ws>/settings/", views.general, name="general"),
    path("w/<slug:ws>/settings/members/", views.members, name="members"),
    path(
        "w/<slug:ws>/settings/members/<int:member_id>/role/", views.member_role, name="member-role"
    ),
    path(
        "w/<slug:ws>/settings/members/<int:member_id>/remove/",
        views.member_remove,
        name="member-remove",
    ),
    path(
        "w/<slug:ws>/settings/invitations/<int:invitation_id>/revoke/",
        views.invitation_revoke,
        name="invitation-revoke",
    ),
    path("w/<slug:ws>/settings/brand/", views.brand, name="brand"),
    path("w/<slug:ws>/settings/brand/edit/", views.brand_edit, name="brand-edit"),
    path("w/<slug:ws>/settings/audit/", views.audit_log, name="audit"),
    path("workspaces/new/", views.create, name="create"),
    path("invite/<str:token>/", views.accept, name="accept"),
]
