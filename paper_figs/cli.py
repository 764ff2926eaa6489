"""The ``theorylab`` command (also ``python -m theorylab``).

It lives with the figures: it is the application on top of the library, the
one place besides the studies layer that imports every family.

    theorylab list [--studies]
    theorylab figures [--mode smoke|quick|full] [--only ID ...] [--out DIR] [--jobs N] [--no-cache]
    theorylab sweep STUDY --grid FIELD=V1,V2,... [--grid ...] [--base FIELD=V ...] [--points]
                    [--executor local|dask|serial] [--scheduler ADDRESS] [--jobs N] [--cache DIR] [--out FILE]

``STUDY`` is a registered study class (``SaxeModes``, ``deep_linear.SaxeModes``
or its full dotted name; ``theorylab list --studies`` prints them).  The base
study is the class's defaults (its ``example()`` where a field has no default),
changed by ``--base``.  Values are Python literals (``0.5``, ``(1.0, 2.0)``,
``"tanh"``); ``FIELD=[...]`` gives the list as one literal (for tuple values),
otherwise values are split at commas.  ``--grid`` fields span a Cartesian
grid; with ``--points`` the lists are zipped into one point per position.
``--out`` writes the labelled results (``.nc``: NetCDF, ``.csv``: a table).
"""
from __future__ import annotations

import argparse
import ast
import dataclasses
import sys
from pathlib import Path

__all__ = ["main", "find_study", "parse_assignment"]


def find_study(name: str):
    """The registered study class called ``name`` (a unique suffix of its dotted name)."""
    from theorylab.studies import registered_studies

    reg = registered_studies()
    hits = [k for k in reg if k == name or k.endswith("." + name)]
    if len(hits) != 1:
        known = ", ".join(sorted(k.rsplit(".", 2)[-2] + "." + k.rsplit(".", 1)[-1] for k in reg))
        what = "is ambiguous" if hits else "is not a registered study"
        raise SystemExit(f"theorylab: {name!r} {what}; known studies: {known}")
    return reg[hits[0]]


def _literal(text: str):
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text                                           # a bare word is a string


def parse_assignment(text: str, *, many: bool):
    """``FIELD=VALUE`` (or ``FIELD=V1,V2`` / ``FIELD=[...]`` with ``many``) -> (field, value or values)."""
    if "=" not in text:
        raise SystemExit(f"theorylab: expected FIELD=VALUE, got {text!r}")
    key, _, raw = text.partition("=")
    key, raw = key.strip(), raw.strip()
    if not many:
        return key, _literal(raw)
    if raw.startswith("["):
        vals = _literal(raw)
        if not isinstance(vals, list):
            raise SystemExit(f"theorylab: {key}=[...] must be a list literal, got {raw!r}")
        return key, vals
    return key, [_literal(v) for v in raw.split(",") if v.strip()]


def _base_study(cls, assignments):
    from theorylab.sweep import replace_path

    try:
        study = cls()
    except TypeError:
        study = cls.example()
    for text in assignments or []:
        k, v = parse_assignment(text, many=False)
        study = replace_path(study, k, v)
    return study


def _cmd_list(args) -> int:
    if args.studies:
        from theorylab.studies import registered_studies

        for name, cls in sorted(registered_studies().items()):
            doc = (cls.__doc__ or "").strip().splitlines()[0]
            fields = ", ".join(f.name for f in dataclasses.fields(cls))
            print(f"{cls.family:20s} {cls.__name__:24s} {doc}\n{'':45s}fields: {fields}")
        return 0
    from theorylab.paper_figs.make_all import FIGURES, figure_info

    for fid in FIGURES:
        family, title = figure_info(fid)
        print(f"{family:20s} {fid:22s} {title}")
    return 0


def _cmd_figures(rest) -> int:
    from theorylab.paper_figs.make_all import main as make_all

    return make_all(rest)


def _cmd_sweep(args) -> int:
    from theorylab.sweep import sweep

    cls = find_study(args.study)
    base = _base_study(cls, args.base)
    grid = dict(parse_assignment(g, many=True) for g in args.grid)
    if args.points:
        lengths = {k: len(v) for k, v in grid.items()}
        if len(set(lengths.values())) != 1:
            raise SystemExit(f"theorylab: with --points every field needs as many values: {lengths}")
        n = next(iter(lengths.values()))
        res = sweep(base, points=[{k: v[i] for k, v in grid.items()} for i in range(n)], cache=args.cache,
                    executor=args.executor, jobs=args.jobs, scheduler=args.scheduler)
    else:
        res = sweep(base, grid, cache=args.cache, executor=args.executor, jobs=args.jobs, scheduler=args.scheduler)
    print(res)
    for p, e in zip(res.points, res.errors):
        if e:
            print(f"  failed at {p}: {e}", file=sys.stderr)
    ds = res.dataset()
    if args.out:
        out = Path(args.out)
        out.parent.mkdir(parents=True, exist_ok=True)
        if out.suffix == ".csv":
            ds.drop_vars("error").to_dataframe().to_csv(out)
        else:
            ds.to_netcdf(out, engine="scipy")
        print(f"wrote {out}")
    else:
        print(ds)
    return 1 if res.failed else 0


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    ap = argparse.ArgumentParser(prog="theorylab", description="theorylab: theory and experiment on the same axes.")
    sub = ap.add_subparsers(dest="cmd", required=True)
    ls = sub.add_parser("list", help="list the figures (or, with --studies, the registered studies)")
    ls.add_argument("--studies", action="store_true")
    sub.add_parser("figures", help="regenerate the paper figures and the agreement report", add_help=False)
    sw = sub.add_parser("sweep", help="run a study over a grid of field values")
    sw.add_argument("study")
    sw.add_argument("--grid", action="append", required=True, metavar="FIELD=V1,V2,...")
    sw.add_argument("--base", action="append", metavar="FIELD=VALUE")
    sw.add_argument("--points", action="store_true", help="zip the value lists instead of a grid")
    sw.add_argument("--executor", choices=("local", "dask", "serial"), default="local")
    sw.add_argument("--scheduler", default=None, help="Dask scheduler address (tcp://host:8786)")
    sw.add_argument("--jobs", type=int, default=None)
    sw.add_argument("--cache", default=None, help="cache folder (resumes an interrupted sweep)")
    sw.add_argument("--out", default=None, help="write the results (.nc or .csv)")
    if argv and argv[0] == "figures":
        return _cmd_figures(argv[1:])
    args = ap.parse_args(argv)
    if args.cmd == "list":
        return _cmd_list(args)
    return _cmd_sweep(args)


if __name__ == "__main__":
    sys.exit(main())
