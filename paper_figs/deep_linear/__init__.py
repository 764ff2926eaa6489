"""Deep linear networks: Saxe 2014 and 2019, Advani-Saxe 2020, Braun 2022 (studies in theorylab.studies.deep_linear)."""
