"""A Django system check that every registered connector imports, declares what the contract asks
(base.Connector), really implements each capability it declares and declares each one it
implements, so a broken connector stops `kalrav serve` instead of a publish at 3 a.m.

This module inspects classes it does not trust yet, so it looks attributes up by name (vars,
getattr): what it proves lets every other module ask a connector by its Protocols alone.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

from django.core.checks import Error, register

from kalrav.connectors import registry
from kalrav.connectors.base import NetworkRules
from kalrav.connectors.catalogue import CAPABILITIES, implemented

REQUIRED = ("slug", "label", "rules", "settings_fields", "capabilities")


@register("connectors")
def check_connectors(app_configs: Any = None, **kwargs: Any) -> list[Error]:
    errors: list[Error] = []
    for slug, path in registry.registered().items():
        try:
            connector = registry.import_dotted(path)
        except Exception as exc:
            errors.append(
                Error(
                    f"Connector '{slug}' cannot be imported from {path}: {exc!r}",
                    id="connectors.E001",
                )
            )
            continue
        errors.extend(_declaration_errors(slug, connector))
        if not all(hasattr(connector, name) for name in REQUIRED):
            continue
        for capability in connector.capabilities:
            errors.extend(_capability_errors(slug, connector, capability))
        errors.extend(_undeclared_errors(slug, connector))
    return errors


def _declaration_errors(slug: str, connector: Any) -> list[Error]:
    missing = [name for name in REQUIRED if not hasattr(connector, name)]
    if missing:
        return [
            Error(
                f"Connector '{slug}' does not declare: {', '.join(missing)}.", id="connectors.E002"
            )
        ]
    errors: list[Error] = []
    if connector.slug != slug:
        errors.append(
            Error(
                f"Connector registered as '{slug}' calls itself '{connector.slug}'.",
                id="connectors.E003",
            )
        )
    if not isinstance(connector.rules, NetworkRules):
        errors.append(
            Error(f"Connector '{slug}' rules are not NetworkRules.", id="connectors.E002")
        )
    return errors


def _undeclared_errors(slug: str, connector: Any) -> list[Error]:
    """A capability the class has without saying so would still answer isinstance: the
    services would use it though nobody meant them to (a helper that happens to be named
    `reconcile` would decide whether a post is sent twice)."""
    return [
        Error(
            f"Connector '{slug}' implements {capability.__name__} without declaring it in "
            "`capabilities`.",
            id="connectors.E007",
        )
        for capability in implemented(connector)
        if capability not in connector.capabilities
    ]


def _capability_errors(slug: str, connector: Any, capability: Any) -> list[Error]:
    if capability not in CAPABILITIES:
        return [
            Error(
                f"Connector '{slug}' declares {capability!r}, which is not a capability.",
                id="connectors.E004",
            )
        ]
    errors: list[Error] = []
    for name in _protocol_methods(capability):
        method = getattr(connector, name, None)
        if not callable(method):
            errors.append(
                Error(
                    f"Connector '{slug}' declares {capability.__name__} but has no {name}().",
                    id="connectors.E005",
                )
            )
            continue
        if getattr(method, "__qualname__", "").startswith(f"{capability.__name__}."):
            # Inherited from the Protocol itself: the body is `...` and returns None.
            errors.append(
                Error(
                    f"Connector '{slug}' inherits {capability.__name__}.{name}() without implementing it.",
                    id="connectors.E005",
                )
            )
            continue
        problem = _signature_problem(getattr(capability, name), method)
        if problem:
            errors.append(
                Error(
                    f"Connector '{slug}' {name}() {problem} (required by {capability.__name__}).",
                    id="connectors.E006",
                )
            )
    return errors


def _protocol_methods(capability: type) -> list[str]:
    return sorted(
        name
        for name, value in vars(capability).items()
        if inspect.isfunction(value) and not name.startswith("_")
    )


def _signature_problem(wanted: Callable[..., Any], found: Callable[..., Any]) -> str:
    """Every parameter the Protocol passes must be accepted by the same name and kind."""
    expected = list(inspect.signature(wanted).parameters.values())[1:]  # without self
    actual = inspect.signature(found).parameters
    takes_kwargs = any(p.kind is p.VAR_KEYWORD for p in actual.values())
    for parameter in expected:
        if parameter.name not in actual:
            if parameter.kind is parameter.KEYWORD_ONLY and takes_kwargs:
                continue
            return f"does not take '{parameter.name}'"
        if (
            parameter.kind is parameter.KEYWORD_ONLY
            and actual[parameter.name].kind is parameter.POSITIONAL_ONLY
        ):
            return f"takes '{parameter.name}' by position only"
    required = [
        p.name
        for p in actual.values()
        if p.default is p.empty
        and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
        and p.name != "self"
    ]
    extra = sorted(set(required) - {p.name for p in expected})
    if extra:
        return f"requires '{', '.join(extra)}', which callers do not pass"
    return ""
