#!/usr/bin/env python3
"""Set up the environment and run theorylab's two jobs.

    python3 dev.py figures   [--mode smoke|quick|full] [--only ID] [--out DIR]
    python3 dev.py test      [extra pytest arguments]
    python3 dev.py notebooks [extra jupyter lab arguments]   (installs theorylab[notebooks] first)

Both create (or reuse) a virtual environment and install what they need.

* If a virtual environment is already active, it is used as it is; otherwise
  ``.venv/`` in the repository is created and reused.
* torch is installed only when the environment has none, so a user's own CUDA
  build is kept.  With no torch present and no GPU (``nvidia-smi`` absent), the
  CPU-only build is installed from PyTorch's CPU wheel index, exactly the
  README's recipe (``pip install torch==2.13.0 --index-url
  https://download.pytorch.org/whl/cpu``); where that index cannot be reached,
  ``torch==2.13.0`` comes from the configured package index instead (a local CPU
  build on our machines).  With a GPU, the default CUDA build is installed.  Set
  ``THEORYLAB_TORCH`` to a pip requirement to choose it yourself.
* The project itself is installed editable with its test extras; the install is
  skipped when ``pyproject.toml`` has not changed since the last one.

Only the standard library is used here, so this runs on a bare Python >= 3.10.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
CPU_TORCH = "torch==2.13.0"
#: PyTorch's own index of CPU-only wheels (no CUDA libraries: ~200 MB instead of ~3 GB).
CPU_INDEX = "https://download.pytorch.org/whl/cpu"


def _reachable(url: str, timeout: float = 5.0) -> bool:
    import urllib.request

    try:
        urllib.request.urlopen(urllib.request.Request(f"{url}/torch/", method="HEAD"), timeout=timeout)
        return True
    except Exception:
        return False


def torch_install_args(has_gpu: bool, reachable=_reachable) -> list[str]:
    """The pip arguments that install torch on this machine (see the module docstring)."""
    spec = os.environ.get("THEORYLAB_TORCH")
    if spec:
        return [spec]
    if has_gpu:
        return ["torch"]
    if reachable(CPU_INDEX):
        return [CPU_TORCH, "--index-url", CPU_INDEX]
    return [CPU_TORCH]


def _in_venv() -> bool:
    return sys.prefix != sys.base_prefix


def _python() -> str:
    if _in_venv():
        return sys.executable
    env_dir = ROOT / ".venv"
    py = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    if not py.exists():
        print(f"[dev] creating virtual environment in {env_dir.name}/", flush=True)
        venv.EnvBuilder(with_pip=True).create(env_dir)
    return str(py)


def _run(cmd: list[str], **kw) -> int:
    return subprocess.call(cmd, cwd=ROOT, **kw)


def _run_job(cmd: list[str]) -> int:
    """Run a job; on Ctrl-C let it stop its own workers and write what it has, then return its code.

    (``subprocess.call`` would SIGKILL the job, orphaning its worker processes.)
    """
    import signal

    proc = subprocess.Popen(cmd, cwd=ROOT)
    try:
        return proc.wait()
    except KeyboardInterrupt:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)        # it may already have it from the terminal: harmless
        try:
            return proc.wait(timeout=30)
        except (subprocess.TimeoutExpired, KeyboardInterrupt):
            proc.kill()
            return 130


def _pip(py: str, *args: str) -> None:
    rc = _run([py, "-m", "pip", "install", "--disable-pip-version-check", "-q", *args])
    if rc:
        sys.exit(f"[dev] pip install {' '.join(args)} failed (exit {rc})")


def _ensure_installed(py: str, extras: str = "test") -> None:
    specs: list[str] = []
    if _run([py, "-c", "import torch"], stderr=subprocess.DEVNULL) != 0:
        args = torch_install_args(shutil.which("nvidia-smi") is not None)
        print(f"[dev] installing {' '.join(args)}", flush=True)
        _pip(py, *args)                    # torch first, alone: its own index must not serve the project
    # the stamp lives in the environment itself (never resolve py: a venv's python links to the base one)
    stamp = (Path(sys.prefix) if _in_venv() else ROOT / ".venv") / ".theorylab_installed"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest() + str(ROOT) + extras
    if not (stamp.exists() and stamp.read_text() == digest):
        specs += ["-e", f"{ROOT}[{extras}]"]
    if not specs:
        return
    print(f"[dev] installing {' '.join(s for s in specs if s != '-e')}", flush=True)
    _pip(py, *specs)
    if "-e" in specs:
        stamp.write_text(digest)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"figures", "test", "notebooks"}:
        print(__doc__)
        return 2
    job, rest = argv[0], argv[1:]
    py = _python()
    _ensure_installed(py, "test,notebooks" if job == "notebooks" else "test")
    if job == "notebooks":
        return _run_job([py, "-m", "jupyterlab", str(ROOT / "notebooks"), *rest])
    if job == "figures":
        return _run_job([py, str(ROOT / "paper_figs" / "make_all.py"), *rest])
    rc = _run_job([py, "-m", "pytest", *rest])
    if rc == 5:
        print("[dev] pytest collected no tests: treating this as a failure", flush=True)
        return 1
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
