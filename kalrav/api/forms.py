from django import forms
from django.utils.translation import gettext_lazy as _

from kalrav.workspaces.permissions import Role


class TokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"), max_length=80, help_text=_("What will use it, such as 'Reporting script'.")
    )
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)
    days = forms.IntegerField(
        label=_("Expires after (days)"),
        min_value=1,
        max_value=365,
        initial=90,
        required=False,
        help_text=_("Between 1 and 365 days (90 if left empty). Renew it here before it ends."),
    )

    def __init__(self, *args, roles: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["role"].choices = [(v, label) for v, label in Role.choices if v in roles]  # type: ignore[attr-defined]
