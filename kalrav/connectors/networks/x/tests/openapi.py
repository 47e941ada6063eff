"""Every request a test sends to the fake X and every answer the fake gives, checked against X's own
OpenAPI description (../shared/data/api-contracts/x/openapi.json) with jsonschema: the path and
method must be an operation, each query parameter one it declares (its schema satisfied), the
JSON body its request schema, and the answer the response schema of its status. Tests that use
it skip, with the reason, when the shared data is not beside the project."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import jsonschema
import pytest

CONTRACT = (
    Path(__file__).resolve().parents[6] / "shared" / "data" / "api-contracts" / "x" / "openapi.json"
)
BASE = "https://api.x.com"


@cache
def _document() -> dict[str, Any]:
    return json.loads(CONTRACT.read_text(encoding="utf-8"))


def require_contract() -> None:
    if not CONTRACT.exists():
        pytest.skip(f"X's OpenAPI description is not at {CONTRACT} (shared data absent)")


def _validator(schema: dict[str, Any]) -> jsonschema.Validator:
    # OpenAPI 3.0 schemas are JSON Schema draft 4 plus keywords draft 4 ignores (`nullable`).
    # Wrapped beside the description's components, so its "#/components/..." references resolve.
    wrapped = {"allOf": [schema], "components": _document()["components"]}
    return jsonschema.Draft4Validator(wrapped)


def _resolve(node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = _document()
        for part in node["$ref"].lstrip("#/").split("/"):
            target = target[part]
        node = target
    return node


def operation(method: str, path: str) -> tuple[str, dict[str, Any]]:
    for template, item in _document()["paths"].items():
        pattern = "^" + re.sub(r"\{[^}]+\}", "[^/]+", template) + "$"
        if re.match(pattern, path) and method.lower() in item:
            # A literal path wins over a template (/2/media/upload vs /2/media/{media_key}).
            return template, item[method.lower()]
    raise AssertionError(f"{method} {path} is no operation in X's OpenAPI description")


def _exact_first(method: str, path: str) -> tuple[str, dict[str, Any]]:
    item = _document()["paths"].get(path)
    if item and method.lower() in item:
        return path, item[method.lower()]
    return operation(method, path)


def check_request(request: httpx.Request) -> str:
    """The operation's path template; AssertionError when the request breaks the contract."""
    assert str(request.url).startswith(BASE), request.url
    template, op = _exact_first(request.method, request.url.path)
    params = {
        p["name"]: p for p in (_resolve(p) for p in op.get("parameters", ())) if p["in"] == "query"
    }
    for name, value in parse_qsl(request.url.query.decode()):
        assert name in params, f"{template}: query parameter {name} is not in the contract"
        schema = _resolve(params[name]["schema"])
        if schema.get("type") == "array":
            instance: Any = value.split(",")
        elif schema.get("type") == "integer":
            instance = int(value)
        else:
            instance = value
        _validator(params[name]["schema"]).validate(instance)
    for name, parameter in params.items():
        if parameter.get("required"):
            assert name in request.url.params, f"{template}: {name} is required"
    body = op.get("requestBody")
    content_type = request.headers.get("content-type", "")
    if content_type.startswith("application/json"):
        assert body, f"{template} takes no body"
        schema = body["content"]["application/json"]["schema"]
        _validator(schema).validate(json.loads(request.content))
    elif content_type.startswith("multipart/form-data"):
        assert body and "multipart/form-data" in body["content"], f"{template}: no multipart"
        schema = _resolve(body["content"]["multipart/form-data"]["schema"])
        sent = set(re.findall(rb'form-data; name="([^"]+)"', request.content))
        assert {name.decode() for name in sent} <= set(schema["properties"]), sent
        assert set(schema.get("required", ())) <= {name.decode() for name in sent}
    else:
        assert not (body and body.get("required")), f"{template} needs a body"
    return template


def check_response(request: httpx.Request, response: httpx.Response) -> httpx.Response:
    _template, op = _exact_first(request.method, request.url.path)
    answer = op["responses"].get(str(response.status_code)) or op["responses"]["default"]
    content = answer.get("content") or {}
    kind = "application/json" if "application/json" in content else next(iter(content), "")
    if kind and response.content:
        if response.status_code >= 400 and "application/problem+json" in content:
            # Errors may follow either the Error or the Problem shape.
            errors = [
                error
                for name in ("application/json", "application/problem+json")
                for error in [_first_error(content[name]["schema"], response.json())]
            ]
            assert None in errors, errors
        else:
            _validator(content[kind]["schema"]).validate(response.json())
    return response


def _first_error(schema: dict[str, Any], instance: Any) -> str | None:
    error = jsonschema.exceptions.best_match(_validator(schema).iter_errors(instance))
    return None if error is None else error.message
