"""The API root: one NinjaAPI that mounts every app's router under /api/v1/.

It sits above the apps, which import the kit in `kalrav.api` (auth, errors, schemas, tokens)
and never this module; so the kit imports no app that uses it.
"""

from django.contrib.auth.decorators import login_required
from ninja import NinjaAPI

from kalrav.api import errors
from kalrav.api.auth import SessionAuth, TokenAuth
from kalrav.api.routes import router as account_router
from kalrav.api.workspaces import router as workspaces_router
from kalrav.channels.api import router as channels_router
from kalrav.hooks.api import router as hooks_router
from kalrav.inbox.api import router as inbox_router
from kalrav.inbox.sla.api import router as inbox_sla_router
from kalrav.publishing.api import router as publishing_router

api = NinjaAPI(
    title="Kalrav API",
    version="1",
    description=(
        "Everything the Kalrav interface does, for scripts. Authenticate with a personal token "
        "(Settings → API tokens) as `Authorization: Bearer kal_…`. Each operation names the "
        "permission it needs in `x-kalrav-permission`; errors are `{code, message}`. Tokens are "
        "made and renewed only by a signed-in person (`x-kalrav-session-only`), expire (90 days "
        "by default) and stop when their person's password or two-factor sign-in changes."
    ),
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
    # The docs and schema are for people who use Kalrav: signed in (docs/configuration.md).
    docs_decorator=login_required,
)
errors.install(api)

api.add_router("/", account_router)
api.add_router("/workspaces", workspaces_router)
api.add_router("/workspaces", channels_router)
api.add_router("/workspaces", inbox_router)
api.add_router("/workspaces", "kalrav.inbox.work.api.router")
api.add_router("/workspaces", "kalrav.inbox.teams.api.router")
api.add_router("/workspaces", inbox_sla_router)
api.add_router("/workspaces", hooks_router)
api.add_router("/workspaces", publishing_router)
api.add_router("/workspaces", "kalrav.publishing.queues.api.router")
api.add_router("/workspaces", "kalrav.publishing.editing.api.router")
api.add_router("/validate", "kalrav.connectors.api.router")
