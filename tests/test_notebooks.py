"""Execute the exploration notebooks at small settings.

Code cells run in one namespace (no Jupyter kernel needed); the cell tagged
``parameters`` is followed by the overrides below, as papermill does.
"""
import json
from pathlib import Path

import matplotlib
import pytest

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"

SMALL = {
    "deep_linear_explorer.ipynb": dict(SVALS=(2.0, 1.0), U0=1e-3, LR=5e-3, T_MAX=6.0, SEEDS=2, DEPTHS=(2, 4),
                                       ALPHAS=(0.5, 2.0)),
}


def run_notebook(path: Path, overrides: dict) -> dict:
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    nb = json.loads(path.read_text())
    ns: dict = {"__name__": "__notebook__"}
    for cell in nb["cells"]:
        if cell["cell_type"] != "code":
            continue
        assert not cell.get("outputs"), f"{path.name}: commit notebooks without outputs"
        exec(compile("".join(cell["source"]), f"{path.name}", "exec"), ns)
        if "parameters" in cell.get("metadata", {}).get("tags", []):
            ns.update(overrides)
    plt.close("all")
    return ns


def test_every_notebook_has_small_settings():
    assert sorted(p.name for p in NOTEBOOKS.glob("*.ipynb")) == sorted(SMALL)


@pytest.mark.parametrize("name", sorted(SMALL))
def test_notebook_runs_and_agrees(name):
    ns = run_notebook(NOTEBOOKS / name, SMALL[name])
    if name == "deep_linear_explorer.ipynb":
        assert ns["agreement"].passed, str(ns["agreement"])
        assert ns["riccati_limit_error"] < 1e-3
        assert ns["small"][-1] > ns["small"][0]
