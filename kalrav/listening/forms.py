from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from kalrav.listening.models import Monitor, MonitorKind, Source
from kalrav.listening.services import check_query
from kalrav.listening.sources.opml import usable

SENTIMENTS = [
    ("", _("Any sentiment")),
    ("positive", _("Positive")),
    ("neutral", _("Neutral")),
    ("negative", _("Negative")),
]
PERIODS = [
    ("1", _("Last 24 hours")),
    ("7", _("Last 7 days")),
    ("30", _("Last 30 days")),
    ("90", _("Last 90 days")),
    ("", _("Any time")),
]


class MonitorForm(forms.ModelForm):
    class Meta:
        model = Monitor
        fields = ["name", "query", "kind", "is_active"]
        widgets = {
            "query": forms.Textarea(
                attrs={"rows": 4, "spellcheck": "false", "dir": "auto", "class": "query-input"}
            ),
            "kind": forms.Select(choices=MonitorKind.choices),
        }
        help_texts = {
            "query": _(
                'Words, "exact phrases", AND, OR, NOT, NEAR/3, wildcards (choc*), #tags, '
                "@handles, lang:bn, site:example.com, author:name. Capital operators only."
            ),
            "kind": _("Competitor monitors are counted beside yours for share of voice."),
        }

    def clean_query(self) -> str:
        query = self.cleaned_data["query"]
        check_query(query)
        return query


class MentionFilters(forms.Form):
    q = forms.CharField(
        label=_("Search"), required=False, widget=forms.TextInput(attrs={"type": "search"})
    )
    monitor = forms.TypedChoiceField(
        label=_("Monitor"), required=False, coerce=int, empty_value=None
    )
    source = forms.TypedChoiceField(label=_("Source"), required=False, coerce=int, empty_value=None)
    language = forms.ChoiceField(label=_("Language"), required=False)
    sentiment = forms.ChoiceField(label=_("Sentiment"), required=False, choices=SENTIMENTS)
    period = forms.ChoiceField(label=_("Period"), required=False, choices=PERIODS, initial="7")

    def __init__(self, *args, monitors, sources, languages, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        choices = {
            "monitor": [("", _("All monitors"))] + [(m.pk, m.name) for m in monitors],
            "source": [("", _("All sources"))] + [(s.pk, str(s)) for s in sources],
            "language": [("", _("Any language"))] + [(code, code) for code in languages],
        }
        for name, options in choices.items():
            field = self.fields[name]
            assert isinstance(field, forms.ChoiceField)
            field.choices = options


class FeedForm(forms.Form):
    url = forms.URLField(label=_("Feed address"), max_length=1000, assume_scheme="https")
    title = forms.CharField(label=_("Name"), max_length=255, required=False)

    def __init__(self, *args, workspace, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.workspace = workspace

    def clean_url(self) -> str:
        url = self.cleaned_data["url"]
        problem = usable(url)
        if problem:
            raise forms.ValidationError(problem)
        if Source.objects.filter(workspace=self.workspace, url=url).exists():
            raise forms.ValidationError(_("This feed is already a source."))
        return url


class OpmlForm(forms.Form):
    file = forms.FileField(
        label=_("OPML file"), help_text=_("The feed list your reader exports (.opml or .xml).")
    )
