"""Tests of the study layer's family modules (theorylab/studies/)."""
