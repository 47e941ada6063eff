"""The hooks' queued work lives beside the function it runs; the import below registers it with
Huey's worker (djhuey reads every app's `tasks` module)."""

from kalrav.hooks import delivery  # noqa: F401 - registers deliver
