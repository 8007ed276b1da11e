"""Compare the speed of two revisions: did a change make anything slower?

Usage, from a checkout with the project's virtual environment active::

    python benchmarks/compare_commits.py                # the last commit against the working tree
    python benchmarks/compare_commits.py main           # main against the working tree
    python benchmarks/compare_commits.py main HEAD      # two revisions (any git revision)
    python benchmarks/compare_commits.py main --rounds 20 --max-ratio 1.03
    python benchmarks/compare_commits.py main --benchmarks table --table-args="--rows 1000000"

What it does:

1. Each revision to compare (``BASE``, and ``HEAD`` unless it is the working tree, the
   default) is checked out with ``git worktree add --detach`` under a temporary directory,
   which is removed afterwards (also after an error or Ctrl-C).
2. Each benchmark in turn (the single-case benchmark, then the table benchmark) runs
   alternately for the base and the head, ``--rounds`` times each (default 10: base, head,
   base, head, …), each run in a fresh process with ``--json``. Every run uses this
   interpreter (``sys.executable``) with the revision's ``src`` folder first on
   ``PYTHONPATH``, so it imports that revision's library (its rulesets are found beside
   ``src``, as in any source checkout); each run reports where it imported ``nonpunish``
   from, and that is checked. The benchmark scripts are this checkout's for both revisions,
   so both are measured by the same code; they must run against both (they use a few
   internal names: ``nonpunish._evaluate.evaluate_case``, ``nonpunish._engine``,
   ``nonpunish._vectorised``, ``nonpunish._paths``). The installed dependencies are this
   environment's for both.
3. From each run it takes ``total_cpu_s``: the sum of the median CPU times (user + system)
   of the library's own measurements in that run (baselines left out; see each script).
   It prints, for each benchmark, the median of those totals for the base and for the head,
   and the ratio head / base; then the same for every measurement alone. The baselines run
   the same code for both revisions, so their ratios show how much the machine's noise
   moves a ratio.
4. It exits with status 1 if any benchmark's ratio exceeds ``--max-ratio`` (default 1.05),
   so it can gate a change in CI; 2 if a run fails.

On a noisy machine, read a ratio against the spread of the runs (printed beside it) and the
baselines' ratios: a ratio within them is no evidence of a change either way. More rounds
narrow the medians (``--rounds 20``). Comparing a revision with itself (``HEAD`` against a
clean working tree, the default) shows the noise alone.

Default sizes (3 to 7 s a run on a 2-core machine: 2 to 5 minutes for 10 rounds) are
smaller than the benchmarks' own; change them with ``--single-args`` and ``--table-args``
(added after the defaults, so a flag given there wins). ``--save FILE`` writes every run's
JSON, for a closer look.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent

#: Each benchmark: its script and the arguments it runs with here (before --single-args or
#: --table-args).
BENCHMARKS: dict[str, tuple[str, list[str]]] = {
    "single": ("bench_single_case.py", ["--repeat", "2000", "--runs", "10"]),
    "table": ("bench_vectorised.py", ["--rows", "200000", "--explain-rows", "20000",
                                      "--sample", "500", "--repeat", "7", "--no-memory"]),
}
SIDES = ("base", "head")
GIT = shutil.which("git") or "git"


def _git(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([GIT, *args], cwd=ROOT, capture_output=True, text=True,  # noqa: S603
                          check=False)


def git(*args: str) -> str:
    proc = _git(*args)
    if proc.returncode != 0:
        raise SystemExit(f"git {' '.join(args)} failed:\n{proc.stderr.strip()}")
    return proc.stdout.strip()


def commit_of(revision: str) -> str:
    return git("rev-parse", "--verify", f"{revision}^{{commit}}")


@contextmanager
def checkouts(revisions: dict[str, str | None]) -> Iterator[dict[str, Path]]:
    """A source tree for each side: a temporary worktree of its commit, or this checkout
    (None: the working tree). The worktrees are removed on the way out."""
    with tempfile.TemporaryDirectory(prefix="nonpunish-compare-") as tmp:
        made: list[Path] = []
        try:
            trees: dict[str, Path] = {}
            for side, commit in revisions.items():
                if commit is None:
                    trees[side] = ROOT
                    continue
                path = Path(tmp) / side
                git("worktree", "add", "--detach", "--quiet", str(path), commit)
                made.append(path)
                trees[side] = path
            yield trees
        finally:
            for path in made:
                proc = _git("worktree", "remove", "--force", str(path))
                if proc.returncode != 0:
                    print(f"warning: could not remove the worktree {path}: "
                          f"{proc.stderr.strip()}", file=sys.stderr)


def run_benchmark(script: str, args: list[str], tree: Path, workdir: Path) -> dict[str, Any]:
    """One run of a benchmark script, in a fresh process, against the library in ``tree``."""
    src = tree / "src"
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(src), *filter(None, [env.get("PYTHONPATH")])])
    proc = subprocess.run(  # noqa: S603 - this interpreter, a script of this folder
        [sys.executable, str(HERE / script), *args, "--json"], cwd=workdir, env=env,
        capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        print(f"{script} failed against {tree}:\n{proc.stderr}", file=sys.stderr)
        raise SystemExit(2)
    data: dict[str, Any] = json.loads(proc.stdout)
    imported = Path(data["nonpunish"]["path"]).resolve()
    if imported != (src / "nonpunish").resolve():
        print(f"{script} imported nonpunish from {imported}, not from {src}: is the package "
              "installed other than in editable mode?", file=sys.stderr)
        raise SystemExit(2)
    return data


def _seconds(value: float) -> str:
    if value < 1e-3:
        return f"{value * 1e6:9.1f} µs"
    if value < 1:
        return f"{value * 1e3:9.2f} ms"
    return f"{value:9.3f} s "


def _spread(values: list[float]) -> str:
    """How far the runs spread: the width of their middle half (the interquartile range)
    over their median, as a percentage."""
    if len(values) < 2:
        return f"{'-':>6}"
    q1, _, q3 = statistics.quantiles(values, n=4)
    return f"{(q3 - q1) / statistics.median(values) * 100:5.1f}%"


def _baselines(run: dict[str, Any]) -> float:
    """The sum of the CPU medians of a run's baselines (hand-written, not the library)."""
    return sum(m["cpu_s"] for m in run["measurements"] if m["baseline"])


def report(runs: dict[str, dict[str, list[dict[str, Any]]]], max_ratio: float) -> bool:
    """Print the medians and ratios; return whether every benchmark is within the limit."""
    ok = True
    print(f"\n{'benchmark':28} {'base CPU':>12} {'head CPU':>12} {'head/base':>10}   "
          "spread (IQR / median), base / head")
    for bench, sides in runs.items():
        base = [r["total_cpu_s"] for r in sides["base"]]
        head = [r["total_cpu_s"] for r in sides["head"]]
        r = statistics.median(head) / statistics.median(base)
        verdict = "ok" if r <= max_ratio else f"SLOWER (limit {max_ratio})"
        ok = ok and r <= max_ratio
        print(f"{bench + ', library total':28} {_seconds(statistics.median(base))} "
              f"{_seconds(statistics.median(head))} {r:10.3f}   "
              f"{_spread(base)} / {_spread(head)}   {verdict}")
        # The baselines run the same code on both sides: how far noise alone moves a ratio.
        base = [_baselines(r) for r in sides["base"]]
        head = [_baselines(r) for r in sides["head"]]
        print(f"{'  baselines (same code)':28} {_seconds(statistics.median(base))} "
              f"{_seconds(statistics.median(head))} "
              f"{statistics.median(head) / statistics.median(base):10.3f}   "
              f"{_spread(base)} / {_spread(head)}")
    for bench, sides in runs.items():
        print(f"\n{bench}: each measurement, the median over the runs of its CPU median "
              "(* in the total; = a baseline, the same code on both sides)")
        for first in sides["base"][0]["measurements"]:
            name = first["name"]
            base = [m["cpu_s"] for r in sides["base"] for m in r["measurements"]
                    if m["name"] == name]
            head = [m["cpu_s"] for r in sides["head"] for m in r["measurements"]
                    if m["name"] == name]
            if len(head) != len(base):
                print(f"  {name}: not measured in every run of both; skipped")
                continue
            mark = "*" if first["counted"] else "=" if first["baseline"] else " "
            print(f"  {mark} {name[:52]:52} {_seconds(statistics.median(base))} "
                  f"{_seconds(statistics.median(head))} "
                  f"{statistics.median(head) / statistics.median(base):8.3f}")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog="See the module docstring (or benchmarks/README.md) for what is measured.")
    parser.add_argument("base", nargs="?", default="HEAD",
                        help="the revision to compare against (default: HEAD)")
    parser.add_argument("head", nargs="?", default=None,
                        help="the revision to compare (default: the working tree, with any "
                        "uncommitted changes)")
    parser.add_argument("--rounds", type=int, default=10,
                        help="runs of each benchmark for each side (default 10)")
    parser.add_argument("--max-ratio", type=float, default=1.05,
                        help="fail if a benchmark's head/base CPU ratio exceeds this "
                        "(default 1.05)")
    parser.add_argument("--benchmarks", default="single,table",
                        help="which to run, comma-separated: single, table (default both)")
    parser.add_argument("--single-args", default="",
                        help='more arguments for bench_single_case.py, e.g. '
                        '--single-args="--repeat 5000"')
    parser.add_argument("--table-args", default="",
                        help='more arguments for bench_vectorised.py, e.g. '
                        '--table-args="--rows 1000000"')
    parser.add_argument("--save", type=Path, default=None,
                        help="write every run's JSON to this file")
    args = parser.parse_args()
    chosen = [b.strip() for b in args.benchmarks.split(",") if b.strip()]
    unknown = [b for b in chosen if b not in BENCHMARKS]
    if unknown or not chosen:
        parser.error(f"unknown benchmark(s) {unknown}; choose from {', '.join(BENCHMARKS)}")
    extra = {"single": shlex.split(args.single_args), "table": shlex.split(args.table_args)}

    revisions = {"base": commit_of(args.base),
                 "head": None if args.head is None else commit_of(args.head)}
    described = {"base": f"{args.base} ({revisions['base'][:10]})",
                 "head": "the working tree" + (" (with uncommitted changes)"
                                              if git("status", "--porcelain") else "")
                 if args.head is None else f"{args.head} ({str(revisions['head'])[:10]})"}
    print(f"base: {described['base']}\nhead: {described['head']}")
    print(f"{', '.join(chosen)}: {args.rounds} rounds each of base, head, base, head, …, each "
          f"run a fresh process ({sys.executable})")

    runs: dict[str, dict[str, list[dict[str, Any]]]] = {
        b: {side: [] for side in SIDES} for b in chosen}
    with checkouts(revisions) as trees, tempfile.TemporaryDirectory() as workdir:
        # One benchmark after the other, so that every run follows a run of the same
        # benchmark for the other side: a run just after a heavier process (the table
        # benchmark frees hundreds of MiB as it ends) was seen to be slower.
        for bench in chosen:
            script, defaults = BENCHMARKS[bench]
            for i in range(args.rounds):
                for side in SIDES:
                    data = run_benchmark(script, defaults + extra[bench], trees[side],
                                         Path(workdir))
                    runs[bench][side].append(data)
                    print(f"  round {i + 1}/{args.rounds}: {bench:6} {side}: library CPU "
                          f"{_seconds(data['total_cpu_s']).strip()}", file=sys.stderr,
                          flush=True)
    if args.save is not None:
        args.save.write_text(json.dumps({"base": described["base"], "head": described["head"],
                                         "runs": runs}, indent=1), encoding="utf-8")
    ok = report(runs, args.max_ratio)
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
