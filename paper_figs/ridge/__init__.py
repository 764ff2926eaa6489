"""Ridge regression under gradient flow: the worked example of adding a family (docs/new_family.md)."""
