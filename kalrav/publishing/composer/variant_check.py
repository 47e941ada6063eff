"""Checking a variant before it goes out: the network's own rules from its connector, then the brand's
rules from the brand profile. One function serves the composer's live check, the services (nothing is
scheduled with a problem) and the API."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import regex
from django.utils.translation import gettext as _

from kalrav.connectors import catalogue, registry
from kalrav.connectors import rules as text_rules
from kalrav.connectors.base import NetworkRules
from kalrav.connectors.rules import Problem
from kalrav.publishing.composer import variant_options
from kalrav.publishing.media import renditions
from kalrav.workspaces.models import BrandProfile


@dataclass(frozen=True)
class VariantCheck:
    network: str
    network_label: str
    length: int
    limit: int
    unit: str
    problems: tuple[Problem, ...]
    warnings: tuple[Problem, ...] = ()
    notes: str = ""
    overflow_at: int | None = None
    links_counted_as: int | None = None
    extra: dict = field(default_factory=dict)
    parts: tuple[PartCheck, ...] = ()  # the thread's further posts, counted like the text

    @property
    def valid(self) -> bool:
        return not self.problems


@dataclass(frozen=True)
class PartCheck:
    number: int  # 2 for the post after the first
    text: str
    length: int
    limit: int
    overflow_at: int | None
    problems: tuple[Problem, ...] = ()


def rules_for(network: str) -> tuple[NetworkRules | None, str]:
    try:
        known = catalogue.network(network)
    except registry.UnknownNetwork:
        return None, network
    return known.rules, known.label


def _word_pattern(word: str) -> regex.Pattern:
    # "Word" boundaries that hold in Bengali, Devanagari and Gujarati too, where vowel signs are
    # marks (\p{M}) rather than letters and \b would split a word in the middle.
    return regex.compile(
        r"(?<![\p{L}\p{M}\p{N}_])" + regex.escape(word) + r"(?![\p{L}\p{M}\p{N}_])",
        regex.IGNORECASE | regex.V1,
    )


def brand_problems(text: str, brand: BrandProfile | None) -> list[Problem]:
    if brand is None:
        return []
    found: list[Problem] = []
    for word in brand.banned_words:
        for match in _word_pattern(word).finditer(text):
            found.append(
                Problem(
                    "banned_word",
                    _("“%(word)s” is on the brand's banned list.") % {"word": match.group()},
                    match.start(),
                    match.end(),
                )
            )
    for tag in brand.required_hashtags:
        if not _word_pattern(tag).search(text):
            found.append(
                Problem(
                    "missing_hashtag",
                    _("The brand asks for %(tag)s in every post.") % {"tag": tag},
                )
            )
    return found


def _media_warnings(media: Sequence, rules: NetworkRules) -> list[Problem]:
    if not rules.media.alt_text:
        return []
    return [
        Problem(
            "alt_text_missing",
            _("Describe this image or video for people who cannot see it (alternative text)."),
            target=f"media[{index}]",
        )
        for index, item in enumerate(media)
        if not item.alt_text.strip()
    ]


def check_variant(
    text: str,
    network: str,
    media: Sequence = (),
    brand: BrandProfile | None = None,
    options: Mapping[str, Any] | None = None,
) -> VariantCheck:
    """`media` holds MediaAssets (or MediaItems) in the order they will be attached; `options`
    the variant's extras (thread, poll, first comment; see variant_options)."""
    items = [m.as_item() if hasattr(m, "as_item") else m for m in media]
    rules, label = rules_for(network)
    if rules is not None:
        rules = rules.for_options(options)  # a story's rules, say, not the feed's
    notes = (brand.network_notes or {}).get(network, "") if brand else ""
    if rules is None:
        problem = Problem(
            "unknown_network",
            _("Kalrav no longer knows the network %(network)s; this variant cannot be sent.")
            % {"network": network},
        )
        return VariantCheck(network, label, 0, 0, "", (problem,), notes=notes)
    # Media a copy can fix is checked as the copy will be, with a note instead of a problem.
    items, copies = renditions.checked_items(list(media), rules, network, label)
    report = text_rules.check(text, rules, items, variant_options.poll_of(options))
    measured = rules.measure(text, report.limit)
    problems = [*report.problems, *brand_problems(text, brand)]
    problems.sort(key=lambda p: (p.start is None, p.start or 0))
    parts = _thread_checks(variant_options.thread_of(options), rules, brand)
    for part in parts:
        problems.extend(part.problems)
    problems.extend(_first_comment_problems(variant_options.first_comment_of(options), rules))
    return VariantCheck(
        network=network,
        network_label=label,
        length=report.length,
        limit=report.limit,
        unit=str(rules.unit.label),
        problems=tuple(problems),
        warnings=(*_media_warnings(items, rules), *copies),
        notes=notes,
        overflow_at=measured.overflow_at,
        links_counted_as=rules.links.counted_as,
        parts=tuple(parts),
    )


def _thread_checks(
    thread: Sequence[str], rules: NetworkRules, brand: BrandProfile | None
) -> list[PartCheck]:
    """Each further post of a thread, counted and checked like the first; its problems say
    which post they are about."""
    if thread and not rules.threads:
        problem = Problem(
            "threads_unsupported", _("This network does not take threads."), target="thread"
        )
        return [PartCheck(2, thread[0], 0, 0, None, (problem,))]
    found = []
    for number, part in enumerate(thread, start=2):
        report = text_rules.check(part, rules)
        measured = rules.measure(part, report.limit)
        problems = [
            replace(
                problem,
                message=_("Post %(number)d: %(problem)s")
                % {"number": number, "problem": problem.message},
                target=f"thread[{number}].{problem.target}",
                start=None,  # positions are in the part's text, which its own preview marks
                end=None,
            )
            for problem in [*report.problems, *brand_problems(part, brand)]
            if problem.code != "missing_hashtag"  # the brand's tags belong in the first post
        ]
        found.append(
            PartCheck(
                number, part, report.length, report.limit, measured.overflow_at, tuple(problems)
            )
        )
    return found


def _first_comment_problems(comment: str, rules: NetworkRules) -> list[Problem]:
    if not comment:
        return []
    if not rules.first_comment:
        return [
            Problem(
                "first_comment_unsupported",
                _("This network has no first comment."),
                target="first_comment",
            )
        ]
    return [
        replace(
            problem,
            message=_("First comment: %(problem)s") % {"problem": problem.message},
            target="first_comment",
            start=None,
            end=None,
        )
        for problem in text_rules.check(comment, rules).problems
    ]
