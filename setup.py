"""Package layout: tasks/, solvers/ and paper_figs/ (top-level folders) install as theorylab.tasks,
theorylab.solvers and theorylab.paper_figs, with every subpackage found, so no list is kept by hand.

Everything else about the distribution is in pyproject.toml.
"""
from setuptools import find_packages, setup

MAPPED = {"theorylab": "theorylab", "theorylab.tasks": "tasks", "theorylab.solvers": "solvers",
          "theorylab.paper_figs": "paper_figs"}


def _packages():
    out = []
    for name, folder in MAPPED.items():
        out.append(name)
        out += [f"{name}.{sub}" for sub in find_packages(folder)]
    return out


setup(packages=_packages(), package_dir=MAPPED)
