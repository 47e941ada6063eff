"""A report as files: PDF (WeasyPrint, with Kalrav's own Noto fonts embedded so every script is
shaped by HarfBuzz and nothing depends on the fonts a server happens to have), CSV and XLSX of
the same `Figures`. Everything is rendered in the report's language.

WeasyPrint needs Pango; where it cannot load, `pdf_unavailable()` says why and the PDF is left
out, while CSV and XLSX still work.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal
from functools import cache
from pathlib import Path

from django.template.loader import render_to_string
from django.templatetags.static import static
from django.utils import translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from openpyxl import Workbook

from kalrav.analytics.reports.charts import bar_chart, line_chart
from kalrav.analytics.reports.figures import ENGAGEMENTS, Figures

VENDOR = Path(__file__).resolve().parents[2] / "static" / "vendor"
FORMATS = ("pdf", "csv", "xlsx")
CONTENT_TYPES = {
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@cache
def pdf_unavailable() -> str:
    """Empty when PDFs can be made, else the reason (shown on the reports page)."""
    try:
        import weasyprint  # noqa: F401  (optional heavy extra: needs the Pango library)
    except (ImportError, OSError) as error:
        return str(error) or error.__class__.__name__
    return ""


# One family per font file, without unicode-range: WeasyPrint (70) mixes up the files of a
# family split by unicode-range when it subsets them, and Greek or Devanagari come out as
# Latin letters. Pango falls back along the list, so each script finds its own file.
SCRIPT_FONTS = (
    ("Kalrav Latin", "noto-sans/noto-sans-latin"),
    ("Kalrav Latin Ext", "noto-sans/noto-sans-latin-ext"),
    ("Kalrav Greek", "noto-sans/noto-sans-greek"),
    ("Kalrav Cyrillic", "noto-sans/noto-sans-cyrillic"),
    ("Kalrav Devanagari", "noto-sans-devanagari/noto-sans-devanagari-devanagari"),
    ("Kalrav Bengali", "noto-sans-bengali/noto-sans-bengali-bengali"),
    ("Kalrav Gujarati", "hind-vadodara/hind-vadodara-gujarati"),
)
FONT_STACK = ", ".join(f"'{family}'" for family, _file in SCRIPT_FONTS)


@cache
def font_faces(base: str = "") -> str:
    """@font-face rules for the fonts Kalrav ships. For WeasyPrint (`base` empty) they are
    file:// addresses it embeds, so a PDF never depends on the fonts of the machine that made
    it; for a browser, the static files' addresses."""
    root = base or (VENDOR / "fonts").as_uri()
    rules = []
    for family, stem in SCRIPT_FONTS:
        for weight in (400, 700):
            rules.append(
                f"@font-face {{ font-family: '{family}'; font-weight: {weight}; "
                f"src: url({root}/{stem}-{weight}-normal.woff2) format('woff2'); }}"
            )
    return "\n".join(rules)


def _n(value: float | Decimal | None, places: int = 0) -> str:
    return "–" if value is None else number_format(value, places, force_grouping=True)


def context(figures: Figures, browser: bool = False) -> dict:
    """What the report template shows; call inside the report's language."""
    period = figures.period
    labels = [date_format(day, "MONTH_DAY_FORMAT") for day in period.days()]
    logo = figures.workspace.logo
    logo_uri = ""
    if logo:
        try:
            logo_uri = Path(logo.path).as_uri() if Path(logo.path).exists() else ""
        except (NotImplementedError, ValueError):
            logo_uri = ""
    rate = figures.engagement_rate
    return {
        "figures": figures,
        "workspace": figures.workspace,
        "logo_uri": logo_uri,
        "first": date_format(period.first, "DATE_FORMAT"),
        "last": date_format(period.last, "DATE_FORMAT"),
        "totals": [
            (_("Views"), _n(figures.views)),
            (_("Engagements"), _n(figures.engagements)),
            (_("Engagement rate"), "–" if rate is None else f"{_n(rate, 1)} %"),
            (_("Followers"), _n(figures.followers)),
            (_("Follower growth"), _n(figures.growth)),
            (_("Clicks by people"), _n(figures.clicks)),
            (_("Conversions"), _n(figures.conversions)),
        ],
        "values": [(c, _n(v, 2)) for c, v in figures.conversion_values.items()],
        "engagement_chart": bar_chart(
            _("Engagements by day of publication"), labels, [d[1] for d in figures.daily]
        ),
        "audience_chart": line_chart(_("Followers"), labels, [d[3] for d in figures.daily]),
        "top_posts": [
            (
                p,
                date_format(p.published_at, "SHORT_DATE_FORMAT"),
                _n(p.views),
                _n(p.engagements),
                "–" if p.engagement_rate is None else _n(p.engagement_rate, 1),
            )
            for p in figures.top_posts()
        ],
        "channels": [
            (c, _n(c.posts), _n(c.views), _n(c.engagements), _n(c.followers_end), _n(c.growth))
            for c in figures.channels
        ],
        "engagement_names": ", ".join(ENGAGEMENTS),
        "channel_names": [c.name for c in figures.channels],
        "font_faces": font_faces(static("vendor/fonts") if browser else ""),
        "font_stack": FONT_STACK,
    }


def html(figures: Figures, language: str, browser: bool = False) -> str:
    """The report as one HTML page: for WeasyPrint, or (`browser`) to be shown as it is."""
    with translation.override(language):
        return render_to_string(
            "analytics/reports/document.html",
            {**context(figures, browser), "language": language, "browser": browser},
        )


def pdf(figures: Figures, language: str) -> bytes:
    from weasyprint import HTML  # optional heavy extra: Pango must be present

    return HTML(string=html(figures, language), base_url=str(VENDOR)).write_pdf()


def _post_table(figures: Figures) -> tuple[list[str], list[list[object]]]:
    names = sorted({name for p in figures.posts for name in p.values})
    head = [
        _("Published"),
        _("Channel"),
        _("Network"),
        _("Post"),
        _("Address"),
        _("Views"),
        _("Engagements"),
        _("Engagement rate (%)"),
        *names,
    ]
    rows: list[list[object]] = [
        [
            p.published_at.isoformat(),
            p.channel,
            p.network,
            p.title,
            p.url,
            p.views,
            p.engagements,
            None if p.engagement_rate is None else round(p.engagement_rate, 2),
            *(p.values.get(name) for name in names),
        ]
        for p in figures.posts
    ]
    return head, rows


def _audience_table(figures: Figures) -> tuple[list[str], list[list[object]]]:
    head = [_("Day"), _("Followers"), _("Engagements"), _("Views")]
    rows: list[list[object]] = [
        [day.isoformat(), followers, engaged, views]
        for day, engaged, views, followers in figures.daily
    ]
    return head, rows


def _channel_table(figures: Figures) -> tuple[list[str], list[list[object]]]:
    head = [
        _("Channel"),
        _("Network"),
        _("Posts"),
        _("Views"),
        _("Engagements"),
        _("Followers"),
        _("Follower growth"),
        _("Clicks by people"),
        _("Conversions"),
    ]
    rows: list[list[object]] = [
        [
            c.name,
            c.network,
            c.posts,
            c.views,
            c.engagements,
            c.followers_end,
            c.growth,
            c.clicks,
            c.conversions,
        ]
        for c in figures.channels
    ]
    return head, rows


def csv_bytes(figures: Figures, language: str) -> bytes:
    """One CSV of the posts with their newest figures (a spreadsheet opens one table per file;
    the XLSX holds the channels and the audience too)."""
    with translation.override(language):
        head, rows = _post_table(figures)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(head)
    writer.writerows(rows)
    return ("\ufeff" + out.getvalue()).encode()  # the BOM makes Excel read UTF-8


def xlsx_bytes(figures: Figures, language: str) -> bytes:
    book = Workbook()
    with translation.override(language):
        tables = [
            (_("Posts"), _post_table(figures)),
            (_("Channels"), _channel_table(figures)),
            (_("Audience"), _audience_table(figures)),
        ]
    sheet = book.active
    for index, (title, (head, rows)) in enumerate(tables):
        sheet = book.active if index == 0 else book.create_sheet()
        sheet.title = title[:31]
        sheet.append(head)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def render(figures: Figures, language: str, kind: str) -> bytes:
    if kind == "pdf":
        return pdf(figures, language)
    if kind == "csv":
        return csv_bytes(figures, language)
    if kind == "xlsx":
        return xlsx_bytes(figures, language)
    raise ValueError(kind)


def file_name(figures: Figures, kind: str) -> str:
    return f"{figures.workspace.slug}-{figures.period.first}-{figures.period.last}.{kind}"
