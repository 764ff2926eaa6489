#!/usr/bin/env python3
"""Set up the environment and run theorylab's two jobs.

    python3 dev.py figures [--mode smoke|quick|full] [--only ID] [--out DIR]
    python3 dev.py test    [extra pytest arguments]

Both create (or reuse) a virtual environment and install what they need.

* If a virtual environment is already active, it is used as it is; otherwise
  ``.venv/`` in the repository is created and reused.
* torch is installed only when the environment has none, so a user's own CUDA
  build is kept.  With no torch present, ``torch==2.13.0`` is installed (a local
  CPU build on our machines) unless ``nvidia-smi`` finds a GPU, in which case
  the default CUDA build from the package index is installed.  Set
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


def _pip(py: str, *args: str) -> None:
    rc = _run([py, "-m", "pip", "install", "--disable-pip-version-check", "-q", *args])
    if rc:
        sys.exit(f"[dev] pip install {' '.join(args)} failed (exit {rc})")


def _ensure_installed(py: str) -> None:
    specs: list[str] = []
    if _run([py, "-c", "import torch"], stderr=subprocess.DEVNULL) != 0:
        spec = os.environ.get("THEORYLAB_TORCH")
        if not spec:
            spec = "torch" if shutil.which("nvidia-smi") else CPU_TORCH
        specs.append(spec)
    # the stamp lives in the environment itself (never resolve py: a venv's python links to the base one)
    stamp = (Path(sys.prefix) if _in_venv() else ROOT / ".venv") / ".theorylab_installed"
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest() + str(ROOT)
    if not (stamp.exists() and stamp.read_text() == digest):
        specs += ["-e", f"{ROOT}[test]"]
    if not specs:
        return
    print(f"[dev] installing {' '.join(s for s in specs if s != '-e')}", flush=True)
    _pip(py, *specs)                       # one resolver run for torch and the project
    if "-e" in specs:
        stamp.write_text(digest)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"figures", "test"}:
        print(__doc__)
        return 2
    job, rest = argv[0], argv[1:]
    py = _python()
    _ensure_installed(py)
    if job == "figures":
        return _run([py, str(ROOT / "paper_figs" / "make_all.py"), *rest])
    rc = _run([py, "-m", "pytest", *rest])
    if rc == 5:
        print("[dev] pytest collected no tests: treating this as a failure", flush=True)
        return 1
    return rc


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
