"""Imports from a source checkout: ``theorylab.tasks``, ``.solvers`` and ``.paper_figs`` live at the top level.

The repository keeps ``tasks/``, ``solvers/`` and ``paper_figs/`` beside ``theorylab/``
(the three parts of the system at a glance).  An install maps them into the
``theorylab`` namespace (``setup.py``: ``package_dir``), so an installed package has
``theorylab/tasks/``.  Python run from the repository root finds the *source*
``theorylab/`` first, which has no ``tasks/``; this finder, registered only when
``theorylab`` is imported from such a checkout, maps the three names onto the
top-level folders, so the source tree works installed or not.
"""
from __future__ import annotations

import importlib.abc
import importlib.util
import sys
from pathlib import Path

MAPPED = ("tasks", "solvers", "paper_figs")


class SourceLayoutFinder(importlib.abc.MetaPathFinder):
    """Finds ``theorylab.<name>`` for ``name`` in :data:`MAPPED` at ``<root>/<name>``."""

    def __init__(self, root: Path):
        self.root = root

    def find_spec(self, fullname, path=None, target=None):
        head, _, name = fullname.partition(".")
        if head != "theorylab" or name not in MAPPED:
            return None
        init = self.root / name / "__init__.py"
        if not init.exists():
            return None
        return importlib.util.spec_from_file_location(fullname, init, submodule_search_locations=[str(init.parent)])


def install(package_dir: Path) -> None:
    """Register the finder if ``package_dir`` (the imported ``theorylab/``) sits in a source checkout."""
    root = package_dir.parent
    if (package_dir / "tasks").exists() or not (root / "tasks" / "__init__.py").exists():
        return                                      # an installed package, or not our checkout
    if not any(isinstance(f, SourceLayoutFinder) and f.root == root for f in sys.meta_path):
        sys.meta_path.insert(0, SourceLayoutFinder(root))
