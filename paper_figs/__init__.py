"""Paper figures, one module per figure, grouped by family in subpackages.

A figure module declares ``FIGURE = theorylab.figures.Figure(...)`` and is found
by :func:`theorylab.figures.discover`; ``make_all.py`` runs them and writes the
report.
"""
