"""Dynamical mean-field theory of wide networks: Bordelon & Pehlevan 2022 (studies in theorylab.studies.dmft)."""
