"""``python -m theorylab``: the ``theorylab`` command (figures, list, sweep)."""
import sys

from theorylab.paper_figs.cli import main

sys.exit(main())
