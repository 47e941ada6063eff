"""Connectors that break the contract in known ways, for the registry and system check tests."""

from __future__ import annotations

from kalrav.connectors.base import PublishedRef, Publisher
from kalrav.connectors.networks.bluesky.rules import RULES


class Declared:
    label = "Fake"
    rules = RULES
    settings_fields = ()

    def __init__(self, context):
        self.context = context


class GoodPublisher(Declared):
    slug = "good"
    capabilities = (Publisher,)

    def validate(self, post):
        return []

    def publish(self, post, *, idempotency_key):
        return PublishedRef(remote_id=idempotency_key)

    def delete(self, ref, *, idempotency_key):
        return None


class MissingDelete(Declared):
    slug = "missing"
    capabilities = (Publisher,)

    def validate(self, post):
        return []

    def publish(self, post, *, idempotency_key):
        return PublishedRef(remote_id="1")


class WrongSignature(Declared):
    slug = "wrong"
    capabilities = (Publisher,)

    def validate(self, post):
        return []

    def publish(self, post):  # forgets the idempotency key
        return PublishedRef(remote_id="1")

    def delete(self, ref, *, idempotency_key):
        return None


class InheritsStub(Declared, Publisher):
    slug = "stub"
    capabilities = (Publisher,)


class NoDeclarations:
    slug = "bare"


class UndeclaredReconciler(GoodPublisher):
    """Has a `reconcile` it does not declare: isinstance would call it a Reconciler."""

    slug = "sly"

    def reconcile(self, post, *, idempotency_key, not_before):
        return None
