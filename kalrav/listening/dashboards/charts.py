"""Charts as the page draws them (static/kalrav/listening_charts.js reads the JSON) and as the
table and the CSV show them: the same numbers, once."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from django.http import HttpResponse
from django.utils.formats import date_format

# Columns of a table: the first names the rows, the others hold numbers (or None).
Row = tuple[str, Sequence[float | None]]


@dataclass
class Chart:
    id: str
    title: str
    kind: str  # "line", "bar", "stacked" (bars stacked), "hbar" (horizontal), "doughnut"
    first_column: str
    series: list[str]
    rows: Sequence[Row]
    # The first column as the CSV writes it (ISO dates), when it differs from what people read.
    keys: list[str] = field(default_factory=list)
    percent: bool = False
    # Fixed bounds of the value axis (net sentiment runs from -1 to 1).
    value_range: tuple[float, float] | None = None

    @property
    def empty(self) -> bool:
        return not any(v for _, values in self.rows for v in values)

    def data(self) -> dict:
        """What the script draws."""
        return {
            "kind": self.kind,
            "percent": self.percent,
            "range": self.value_range,
            "labels": [label for label, _ in self.rows],
            "series": [
                {"label": name, "data": [values[i] for _, values in self.rows]}
                for i, name in enumerate(self.series)
            ],
        }

    def csv_response(self, filename: str) -> HttpResponse:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([self.first_column, *self.series])
        for i, (label, values) in enumerate(self.rows):
            key = self.keys[i] if self.keys else label
            writer.writerow([key, *("" if v is None else v for v in values)])
        response = HttpResponse(out.getvalue(), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{filename}-{self.id}.csv"'
        return response


def bucket_label(at: datetime, hourly: bool) -> str:
    return date_format(at, "DATETIME_FORMAT" if hourly else "DATE_FORMAT")
