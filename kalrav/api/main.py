from ninja import NinjaAPI

from kalrav.api import errors
from kalrav.api.auth import SessionAuth, TokenAuth

api = NinjaAPI(
    title="Kalrav API",
    version="1",
    description=(
        "Everything the Kalrav interface does, for scripts. Authenticate with a personal token "
        "(Settings → API tokens) as `Authorization: Bearer kal_…`. Each operation names the "
        "permission it needs in `x-kalrav-permission`; errors are `{code, message}`."
    ),
    auth=[TokenAuth(), SessionAuth()],
    urls_namespace="api",
)
errors.install(api)

from kalrav.api.routes import router as account_router  # noqa: E402
from kalrav.channels.api import router as channels_router  # noqa: E402
from kalrav.hooks.api import router as hooks_router  # noqa: E402
from kalrav.inbox.api import router as inbox_router  # noqa: E402
from kalrav.inbox.sla_api import router as inbox_sla_router  # noqa: E402
from kalrav.publishing.api import router as publishing_router  # noqa: E402
from kalrav.workspaces.api import router as workspaces_router  # noqa: E402

api.add_router("/", account_router)
api.add_router("/workspaces", workspaces_router)
api.add_router("/workspaces", channels_router)
api.add_router("/workspaces", inbox_router)
api.add_router("/workspaces", "kalrav.inbox.api_work.router")
api.add_router("/workspaces", "kalrav.inbox.api_moderation.router")
api.add_router("/workspaces", inbox_sla_router)
api.add_router("/workspaces", hooks_router)
api.add_router("/workspaces", publishing_router)
api.add_router("/workspaces", "kalrav.publishing.api_queues.router")
api.add_router("/workspaces", "kalrav.publishing.api_after_publish.router")
api.add_router("/validate", "kalrav.connectors.api.router")
