from pathlib import Path

import pytest

from conftest import require_service
from kalrav.nlp import services

SHARED_DATA = Path(__file__).resolve().parents[4] / "shared" / "data"


@pytest.fixture(scope="session")
def identifier():
    """The default language identifier, built once for the whole session (about 1.5 s)."""
    return services.language_identifier()


@pytest.fixture(scope="session")
def classify(identifier):
    services.sentiment_model()
    return services.classify_batch


def shared(*parts: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        require_service(f"{path} (the shared data sits beside the project)")
    return path
