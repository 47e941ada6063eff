"""`kalrav validate --network NAME`: check post texts the way the network will, from standard input.

Plain mode checks the whole input as one text (one trailing newline, as `echo` adds, is dropped).
With --jsonl each line is {"id", "text"} and each answer {"id", "length", "limit", "valid",
"problems"}; a line that cannot be read gets {"line", "error"} and the rest go on. The exit status
is 1 when any text is invalid or any line unreadable, so a content plan can gate a pipeline.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from dataclasses import replace
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from kalrav.connectors import catalogue, registry
from kalrav.connectors.base import NetworkRules
from kalrav.connectors.rules import Report, check


class Command(BaseCommand):
    help = _("Check post texts from standard input against a network's rules.")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--network",
            required=True,
            help=_("Network slug: %(slugs)s.") % {"slugs": ", ".join(registry.available())},
        )
        parser.add_argument(
            "--jsonl",
            action="store_true",
            help=_('Read {"id", "text"} lines, write one result line each.'),
        )
        parser.add_argument(
            "--limit",
            type=int,
            help=_("Override the length limit (a Mastodon instance's own, say)."),
        )

    def handle(
        self, *args: Any, network: str, jsonl: bool, limit: int | None, **options: Any
    ) -> None:
        try:
            rules = catalogue.network(network).rules
        except registry.UnknownNetwork:
            raise CommandError(
                _("Unknown network '%(network)s'; choose one of: %(slugs)s.")
                % {"network": network, "slugs": ", ".join(registry.available())}
            ) from None
        if limit is not None:
            if limit < 1:
                raise CommandError(_("--limit must be a positive number."))
            rules = replace(rules, max_length=limit)
        ok = self._jsonl(sys.stdin, rules) if jsonl else self._plain(sys.stdin.read(), rules)
        if not ok:
            raise SystemExit(1)

    def _plain(self, text: str, rules: NetworkRules) -> bool:
        text = text.removesuffix("\n").removesuffix("\r")
        report = check(text, rules)
        self.stdout.write(
            _("%(length)d of %(limit)d") % {"length": report.length, "limit": report.limit}
        )
        for problem in report.problems:
            where = f" [{problem.start}:{problem.end}]" if problem.start is not None else ""
            self.stdout.write(f"{problem.code}{where}: {problem.message}")
        return report.valid

    def _jsonl(self, stdin: Iterable[str], rules: NetworkRules) -> bool:
        ok = True
        for number, line in enumerate(stdin, start=1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
                if not isinstance(item, dict) or not isinstance(item.get("text"), str):
                    raise ValueError(_('expected an object with a "text" string'))
            except ValueError as exc:
                ok = False
                self._emit(
                    {
                        "line": number,
                        "error": _("Line %(line)d is not valid: %(error)s")
                        % {"line": number, "error": exc},
                    }
                )
                continue
            report = check(item["text"], rules)
            ok = ok and report.valid
            self._emit(_result(item.get("id"), report))
        return ok

    def _emit(self, payload: dict[str, Any]) -> None:
        self.stdout.write(json.dumps(payload, ensure_ascii=False))


def _result(identifier: Any, report: Report) -> dict[str, Any]:
    return {
        "id": identifier,
        "length": report.length,
        "limit": report.limit,
        "valid": report.valid,
        "problems": [problem.as_dict() for problem in report.problems],
    }
