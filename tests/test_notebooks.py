"""Every notebook runs from top to bottom, on small demo logs and on the report's own data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


def execute(notebook: Path, directory: Path) -> list[Any]:
    """Run ``notebook`` in ``directory`` (where it writes any demo logs); a cell that raises
    fails the test. Returns the outputs of its code cells."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("matplotlib")
    nb = nbformat.read(notebook, as_version=4)
    resources = {"metadata": {"path": str(directory)}}
    nbclient.NotebookClient(nb, timeout=300, resources=resources).execute()
    return [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[n.name for n in NOTEBOOKS])
def test_notebook_runs_on_demo_logs(
    notebook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZEEKFRAME_DEMO_SCALE", "0.001")
    monkeypatch.delenv("ZEEK_LOGS", raising=False)
    outputs = execute(notebook, tmp_path)
    assert not any(o.get("output_type") == "error" for o in outputs)
    if "mime" in notebook.name or "report" in notebook.name:
        images = [o for o in outputs if "image/png" in o.get("data", {})]
        assert images, "the figures are shown inline"


def test_report_notebook_on_the_report_data(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ZEEK_LOGS", str(corpus / "secrepo-maccdc2012"))
    outputs = execute(NOTEBOOKS[0], tmp_path)
    text = "".join(
        o.get("text", "") + str(o.get("data", {}).get("text/plain", "")) for o in outputs
    )
    # The real sample's heavy hitter leads the table, as in the report.
    assert "different ports to 80" in text
    assert "192.168.202.110" in text or "192.168.204.45" in text
