from pathlib import Path

from conftest import require_service

SHARED_DATA = Path(__file__).resolve().parents[4] / "shared" / "data"


def shared(*parts: str) -> Path:
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        require_service(f"{path} (the shared data sits beside the project)")
    return path
