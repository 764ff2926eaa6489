"""Execute the exploration notebooks at small settings in a real Jupyter kernel (nbclient).

The cell tagged ``parameters`` is followed by the overrides below, as papermill
does; every cell that draws must leave an image, as it does for a user in
Jupyter; the notebook's claims are read back from the kernel and asserted.
"""
import base64
import pickle
import re
from pathlib import Path

import numpy as np
import pytest

nbformat = pytest.importorskip("nbformat")
NotebookClient = pytest.importorskip("nbclient").NotebookClient

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"

SMALL = {
    "deep_linear_explorer.ipynb": dict(SVALS=(2.0, 1.0), U0=1e-3, LR=5e-3, T_MAX=6.0, SEEDS=2, DEPTHS=(2, 4),
                                       ALPHAS=(0.5, 2.0)),
    "coarse_label_explorer.ipynb": dict(N_PER_FINE=150, MLP_STEPS=200, RATIOS=(0.5, 2.0)),
    "graph_explorer.ipynb": dict(ROWS=3, COLS=3, T_MAX=80, N_WALKS=800, STEPS=100, D_MODEL=24, TRAIN_LEN=32),
    "grokking_explorer.ipynb": dict(D=12, N=40, P=40, EPS=0.2, STEPS=1500, CHECK_STEPS=200, ALPHAS=(0.5, 1.0, 2.0),
                                    EPS_LIST=(0.1, 0.2, 0.4), PS=(20, 40, 240), WIDTHS=(64, 256)),
    "kernel_explorer.ipynb": dict(D=6, P=48, HIDDEN=(16, 16), LR=0.1, T_MAX=40.0, N_REC=20, SEEDS=2, N_PROBE=8,
                                  ALPHAS=(0.5, 2.0, 8.0), GROK=dict(D=12, P=40, N=40, eps=0.2, epochs=600,
                                                                    net_epochs=200, record_every=50),
                                  MF_WIDTHS=(32, 128, 512)),
    "sim_explorer.ipynb": dict(MU=(1.0, 2.0), SIGMA2=(0.05, 0.05), DIVERSITIES=(0.05, 2.0), RATIOS=(1.0, 8.0),
                               N_PER_CLUSTER=1000, SEEDS=2, T_MAX=14.0),
}


#: Cells that draw: they must leave an image in the notebook.
PLOTTING = re.compile(r"\bstyle\(\)|plt\.|\.plot\(|new_figure\(")


def run_notebook(path: Path, overrides: dict) -> dict:
    """Execute ``path`` in a Jupyter kernel (nbclient) with ``overrides`` after its ``parameters`` cell.

    Returns the kernel's global variables that pickle (the notebook's claims), and
    checks that every plotting cell produced an image.
    """
    nb = nbformat.read(path, as_version=4)
    nbformat.validator.normalize(nb)                                 # cell ids for older notebook files
    code = [c for c in nb.cells if c.cell_type == "code"]
    for cell in code:
        assert not cell.get("outputs"), f"{path.name}: commit notebooks without outputs"
    tagged = [i for i, c in enumerate(nb.cells) if "parameters" in c.get("metadata", {}).get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: exactly one cell must be tagged 'parameters'"
    inject = nbformat.v4.new_code_cell("\n".join(f"{k} = {v!r}" for k, v in overrides.items()))
    nb.cells.insert(tagged[0] + 1, inject)
    nb.cells.append(nbformat.v4.new_code_cell(
        "import base64 as _b64, pickle as _pk\n"
        "_ns = {}\n"
        "for _k, _v in list(globals().items()):\n"
        "    if _k.startswith('_') or _k in ('In', 'Out', 'exit', 'quit', 'get_ipython'):\n"
        "        continue\n"
        "    try:\n"
        "        _ns[_k] = _pk.dumps(_v)\n"
        "    except Exception:\n"
        "        pass\n"
        "print('__NS__' + _b64.b64encode(_pk.dumps(_ns)).decode())"))
    client = NotebookClient(nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}})
    client.execute()
    no_image = [c.source.splitlines()[0] for c in nb.cells[:-1]
                if c.cell_type == "code" and c is not inject and PLOTTING.search(c.source)
                and not any("image/png" in o.get("data", {}) for o in c.get("outputs", []))]
    assert not no_image, f"{path.name}: plotting cells without an image: {no_image}"
    text = "".join(o.get("text", "") for o in nb.cells[-1].outputs if o.get("output_type") == "stream")
    blob = text.split("__NS__", 1)[1].strip()
    ns = {}
    for k, v in pickle.loads(base64.b64decode(blob)).items():
        try:
            ns[k] = pickle.loads(v)
        except (AttributeError, ImportError, pickle.UnpicklingError):    # defined in the notebook itself
            pass
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
    if name == "coarse_label_explorer.ipynb":
        # closed form vs trained linear net: GD 0.45 lr + O(eps^2) back-reaction + sampling; 0.020 here, <= 0.030
        # over 32 draws of data and init at these settings
        assert max(ns["linear_errors"]) < 0.05
        # fine classes stay: only a claim when the closest fine pair clears the k-means edge sqrt(8/pi) (fine_snr)
        # with room (issue #13: at 1x the accuracy was 0.68 or 0.88 depending on the CPU's BLAS); 4.3 here
        assert ns["linear_snr"] > 2 * np.sqrt(8 / np.pi)
        assert ns["linear_nc1"][0] / ns["linear_nc1"][1] > 10 and ns["linear_fine"] > 0.8
        assert ns["le_acc"][0] > 0.95 and ns["le_acc"][-1] < 0.05
    if name == "graph_explorer.ipynb":
        assert ns["energy_identity_error"] < 1e-10
        assert ns["heat_overlap"][0] < 0.9 < 0.999 < ns["heat_overlap"][-1]
        assert ns["dp_mc_z"] < 4.5
        assert ns["loss"]["loss"][-1] < ns["loss"]["loss"][0]
    if name == "grokking_explorer.ipynb":
        assert ns["exact_vs_net"] < 1e-9
        assert np.all(np.diff(ns["t_alpha"][:, 1]) > 0)                  # later generalisation at larger alpha
        assert np.all(np.diff(ns["t_eps"][:, 1]) < 0)                    # and at smaller eps
        assert ns["final_test_P"][0] > 0.5 > ns["final_test_P"][-1]      # too few points never generalise
        assert min(ns["dmft_tolerances"]) >= 0, ns["dmft_errors"]       # within 4 standard errors + dt
    if name == "kernel_explorer.ipynb":
        assert ns["entk_vs_loop_error"] < 1e-12                          # torch.func / factorised vs backward loop
        assert ns["lin_vs_closed_form"] < 1e-8                           # jvp-linearised GD = kernel GD
        assert ns["deep_linear_error"] < 0.02 and ns["grok_kernel_error"] < 1e-10
        assert np.all(np.diff(ns["distance_by_alpha"]) < 0)              # lazier: the kernel moves less
        assert ns["lazy_gap"][-1] < ns["lazy_gap"][0]
        assert -0.7 < ns["mf_slope"] < -0.3                              # O(N^-1/2) around the DMFT
    if name == "sim_explorer.ipynb":
        # trained nets with biases vs the closed form from their own init: finite data and SGD only (the large init
        # amplifies rate errors: 2-10% at 200 points per cluster), 0.4-1.2% here
        assert np.allclose(ns["t90_exp"], ns["t90_th"], rtol=0.1)
        assert ns["t90_th"][0] > 1.5 * ns["t90_bias_free"][0]       # the bias slows the weak concept (x2.1)
        assert ns["bumps"][0] == 0.0 and ns["bumps"][-1] > 1e-3      # equal rates: monotone; separated: swing-by
        # the authors' Fig. 9 from their init: 3 rises with A^2 (smallest 7.5% against the 5% count), 2 with A
        assert ns["rises"] == {"authors' recurrence (A^2, eta 0.01)": 3, "A^2 ODE": 3, "rates A (equations)": 2}
