"""Studies, one module per paper family: a task, a finite network and its theory on one clock.

See :mod:`theorylab.study` for the base class and the cache key.  Importing
this package imports every module in it, which registers its studies in
:data:`theorylab.study.REGISTRY` (the contract tests run over all of them): a
new family is a new module here, with no list to edit.
"""
import importlib
import pkgutil

from theorylab.study import REGISTRY, Study, StudyResult

__all__ = ["REGISTRY", "Study", "StudyResult", "registered_studies", "FAMILIES"]

#: The family modules found in this package, by name.
FAMILIES = tuple(sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_")))
for _name in FAMILIES:
    importlib.import_module(f"{__name__}.{_name}")


def registered_studies() -> dict[str, type[Study]]:
    """Every registered study class (family modules are imported with this package)."""
    return dict(REGISTRY)
