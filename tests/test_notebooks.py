"""Every notebook runs from top to bottom, on small demo logs and on the report's own data."""

from __future__ import annotations

from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[n.name for n in NOTEBOOKS])
def test_notebook_runs_on_demo_logs(
    notebook: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("matplotlib")
    monkeypatch.setenv("ZEEKFRAME_DEMO_SCALE", "0.001")
    monkeypatch.delenv("ZEEK_LOGS", raising=False)
    nb = nbformat.read(notebook, as_version=4)
    # Runs in tmp_path, where the notebook writes its demo logs; an error fails the test.
    nbclient.NotebookClient(
        nb, timeout=300, resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    outputs = [o for cell in nb.cells if cell.cell_type == "code" for o in cell.outputs]
    assert not any(o.get("output_type") == "error" for o in outputs)
    if "mime" in notebook.name or "report" in notebook.name:
        images = [o for o in outputs if "image/png" in o.get("data", {})]
        assert images, "the figures are shown inline"


def test_report_notebook_on_the_report_data(
    corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("matplotlib")
    monkeypatch.setenv("ZEEK_LOGS", str(corpus / "secrepo-maccdc2012"))
    nb = nbformat.read(NOTEBOOKS[0], as_version=4)
    nbclient.NotebookClient(
        nb, timeout=300, resources={"metadata": {"path": str(tmp_path)}}
    ).execute()
    text = "".join(
        o.get("text", "") + str(o.get("data", {}).get("text/plain", ""))
        for cell in nb.cells
        if cell.cell_type == "code"
        for o in cell.outputs
    )
    # The real sample's heavy hitter leads the table, as in the report.
    assert "different ports to 80" in text
    assert "192.168.202.110" in text or "192.168.204.45" in text
