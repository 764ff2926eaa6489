"""Paper figures, one module per figure, grouped by family in subpackages.

A figure module declares ``FIGURE = theorylab.figures.Figure(...)`` and is found
by :func:`theorylab.figures.discover`; ``make_all.py`` runs them and writes the
report.
"""
import pkgutil as _pkgutil

#: Legacy top-level figure modules (``ID`` + ``make``) not yet migrated to a family subpackage.
FIGURES = tuple(sorted(m.name for m in _pkgutil.iter_modules(__path__)
                       if not m.ispkg and not m.name.startswith("_") and m.name not in ("make_all", "cli")))
