from __future__ import annotations

import pytest
from django.core import checks

from kalrav.connectors import registry
from kalrav.connectors.base import NetworkRules, Publisher
from kalrav.connectors.checks import check_connectors

FAKES = "kalrav.connectors.tests.fake_connectors"


@pytest.fixture
def fakes():
    def use(**mapping):
        registry.reset({slug: f"{FAKES}.{name}" for slug, name in mapping.items()})

    yield use
    registry.reset()


def test_real_registry_lists_networks_and_passes_its_check():
    assert set(registry.available()) >= {"bluesky", "mastodon", "telegram", "x"}
    assert check_connectors() == []
    for slug in registry.available():
        connector = registry.get(slug)
        assert connector.slug == slug
        assert isinstance(connector.rules, NetworkRules)
        assert all(field.name for field in connector.settings_fields)


def test_secret_settings_fields_are_marked():
    secrets = {
        f.name
        for slug in registry.available()
        for f in registry.get(slug).settings_fields
        if f.secret
    }
    assert {"app_password", "access_token", "bot_token"} <= secrets


def test_unknown_network():
    with pytest.raises(registry.UnknownNetwork):
        registry.get("myspace")


def test_import_is_lazy_and_cached(fakes):
    fakes(good="GoodPublisher")
    first = registry.get("good")
    assert registry.get("good") is first
    assert issubclass(first, Publisher)


def test_check_accepts_a_complete_connector(fakes):
    fakes(good="GoodPublisher")
    assert check_connectors() == []


@pytest.mark.parametrize(
    ("name", "slug", "error_id"),
    [
        ("MissingDelete", "missing", "connectors.E005"),
        ("InheritsStub", "stub", "connectors.E005"),
        ("WrongSignature", "wrong", "connectors.E006"),
        ("NoDeclarations", "bare", "connectors.E002"),
        ("DoesNotExist", "ghost", "connectors.E001"),
        ("GoodPublisher", "renamed", "connectors.E003"),
        ("UndeclaredReconciler", "sly", "connectors.E007"),
    ],
)
def test_check_reports_broken_connectors(fakes, name, slug, error_id):
    fakes(**{slug: name})
    errors = check_connectors()
    assert {error.id for error in errors} == {error_id}, errors
    assert all(isinstance(error, checks.Error) for error in errors)


def test_check_is_registered_with_django(fakes):
    fakes(missing="MissingDelete")
    assert any(error.id == "connectors.E005" for error in checks.run_checks(tags=["connectors"]))
