from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from kalrav.workspaces.models import TIME_ZONES, BrandProfile, Workspace
from kalrav.workspaces.permissions import Role

TIME_ZONE_CHOICES = [(tz, tz.replace("_", " ")) for tz in TIME_ZONES]


class WorkspaceCreateForm(forms.Form):
    name = forms.CharField(label=_("Brand or client name"), max_length=120)
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=TIME_ZONE_CHOICES,
        initial=settings.DEFAULT_WORKSPACE_TIME_ZONE,
    )
    language = forms.ChoiceField(label=_("Language"), choices=settings.LANGUAGES)


class WorkspaceForm(forms.ModelForm):
    time_zone = forms.ChoiceField(label=_("Time zone"), choices=TIME_ZONE_CHOICES)

    class Meta:
        model = Workspace
        fields = ["name", "time_zone", "language", "logo"]
        labels = {"name": _("Name"), "language": _("Language"), "logo": _("Logo")}

    def clean_logo(self):
        logo = self.cleaned_data.get("logo")
        if logo and hasattr(logo, "size") and logo.size > settings.LOGO_MAX_BYTES:
            raise ValidationError(_("The logo is too large: keep it under 2 MB."))
        return logo


class BrandProfileForm(forms.ModelForm):
    banned_words = forms.CharField(
        label=_("Banned words"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One per line or separated by commas. Posts that use them are flagged."),
    )
    required_hashtags = forms.CharField(
        label=_("Required hashtags"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("One per line or separated by commas, such as #YourBrand."),
    )
    network_notes = forms.CharField(
        label=_("Notes per network"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("One line per network: the network's name, a colon, then the note."),
    )

    class Meta:
        model = BrandProfile
        fields = list(BrandProfile.TEXT_FIELDS)
        labels = {
            "mission": _("Mission"),
            "vision": _("Vision"),
            "history": _("History"),
            "values": _("Values"),
            "voice": _("Voice and tone"),
            "audience": _("Audience"),
            "strengths": _("Strengths"),
            "weaknesses": _("Weaknesses"),
            "opportunities": _("Opportunities"),
            "threats": _("Threats"),
        }
        widgets = {name: forms.Textarea(attrs={"rows": 3}) for name in BrandProfile.TEXT_FIELDS}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance and not self.is_bound:
            self.initial["banned_words"] = "\n".join(self.instance.banned_words)
            self.initial["required_hashtags"] = "\n".join(self.instance.required_hashtags)
            self.initial["network_notes"] = "\n".join(
                f"{k}: {v}" for k, v in self.instance.network_notes.items()
            )

    def clean_network_notes(self) -> dict[str, str]:
        notes: dict[str, str] = {}
        for number, line in enumerate(self.cleaned_data["network_notes"].splitlines(), start=1):
            if not line.strip():
                continue
            network, sep, note = line.partition(":")
            if not sep or not network.strip() or not note.strip():
                raise ValidationError(
                    _("Line %(n)d needs a network name, a colon and a note.") % {"n": number}
                )
            notes[network.strip().lower()] = note.strip()
        return notes

    def service_fields(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in (
                *BrandProfile.TEXT_FIELDS,
                "banned_words",
                "required_hashtags",
                "network_notes",
            )
        }


class InviteForm(forms.Form):
    email = forms.EmailField(label=_("Email"))
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)

    def __init__(self, *args, roles: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [  # type: ignore[attr-defined]
            (value, label) for value, label in Role.choices if value in roles
        ]


class AuditFilterForm(forms.Form):
    action = forms.ChoiceField(label=_("Action"), required=False)
    actor = forms.CharField(label=_("Who"), required=False)
    since = forms.DateField(
        label=_("From"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    until = forms.DateField(
        label=_("Until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, actions: list[tuple[str, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("All actions")), *actions]  # type: ignore[attr-defined]
