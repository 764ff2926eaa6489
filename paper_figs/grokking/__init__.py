"""Grokking as the lazy-to-rich transition: Kumar, Bordelon, Gershman & Pehlevan, ICLR 2024 (studies in theorylab.studies.grokking)."""
