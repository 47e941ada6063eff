from pathlib import Path

from kalrav.connectors.declared.networks_table import BEGIN, END, render

DOC = Path(__file__).resolve().parents[3] / "docs" / "networks.md"


def test_docs_table_matches_the_declared_rules():
    document = DOC.read_text(encoding="utf-8")
    table = document.split(BEGIN, 1)[1].split(END, 1)[0].strip()
    assert table == render(), (
        "run: python -m kalrav.connectors.declared.networks_table --write docs/networks.md"
    )
