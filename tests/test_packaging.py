"""The distribution: top-level tasks/, solvers/ and paper_figs/ install under theorylab, every subpackage found."""
import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_maps_the_top_level_folders_into_theorylab(tmp_path):
    import shutil

    had_build = (ROOT / "build").exists()
    try:
        subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w",
                        str(tmp_path), str(ROOT)], check=True)
    finally:
        if not had_build:                            # setuptools builds in the source tree: leave it clean
            shutil.rmtree(ROOT / "build", ignore_errors=True)
    (wheel,) = tmp_path.glob("theorylab-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for folder, pkg in (("tasks", "theorylab/tasks"), ("solvers", "theorylab/solvers"),
                        ("paper_figs", "theorylab/paper_figs")):
        for src in (ROOT / folder).rglob("*.py"):
            assert f"{pkg}/{src.relative_to(ROOT / folder).as_posix()}" in names, src
    assert "theorylab/studies/deep_linear.py" in names
    entry = [n for n in names if n.endswith("entry_points.txt")]
    assert entry and "theorylab = theorylab.paper_figs.cli:main" in zipfile.ZipFile(wheel).read(entry[0]).decode()


def test_the_source_checkout_imports_its_mapped_packages_without_an_install(tmp_path):
    """From the repository root, with the installed package out of the way, the source tree resolves itself."""
    code = ("import sys; sys.meta_path[:] = [f for f in sys.meta_path if 'editable' not in type(f).__module__]; "
            "import theorylab, theorylab.tasks, theorylab.solvers.ridge, theorylab.paper_figs; "
            "print(theorylab.tasks.__file__); print(theorylab.paper_figs.__file__)")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert str(ROOT / "tasks") in out and str(ROOT / "paper_figs") in out
