"""Grokking as the lazy-to-rich transition: Kumar et al., ICLR 2024 (studies in theorylab.studies.grokking)."""
