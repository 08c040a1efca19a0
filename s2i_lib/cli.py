"""The ``s2i`` command line: ``s2i synth``, ``s2i build``, ``s2i merge``, ``s2i reproduce``, ``s2i site``, ``s2i versions``
(``--dry-run``: the profile's networks with 1% of its training, :mod:`s2i_lib.course.dryrun`).

Everything here is also callable from Python (:func:`s2i_lib.synthav.generate_corpus`,
:func:`s2i_lib.data.build`, :func:`s2i_lib.data.merge`).  Exit codes of ``build`` and
``merge``: 0 done (or this shard done), 1 the build has no pairs (every input failed; the
message points at ``skipped.csv``) or ``merge`` found shards still missing, 2 bad
arguments or settings.
"""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path


def _shard(text: str):
    try:
        i, n = (int(x) for x in text.split("/"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"--shard wants I/N (e.g. 0/4), got {text!r}") from None
    if not 0 <= i < n:
        raise argparse.ArgumentTypeError(f"--shard {text}: need 0 <= I < N")
    return i, n


def _segment(text: str):
    if text.lower() in {"0", "whole", "clip", "none"}:
        return None
    v = float(text)
    if v <= 0:
        raise argparse.ArgumentTypeError("--segment must be positive seconds, or 'whole'")
    return v


def _min_dbfs(text: str):
    return None if text.lower() in {"none", "off"} else float(text)


def parser() -> argparse.ArgumentParser:
    from .data.building import FRAME_STRATEGIES
    from .data.layouts import LAYOUTS
    from .course.profiles import PROFILE_NAMES

    p = argparse.ArgumentParser(prog="s2i", description="s2i course tools: generate SynthAV, build paired data")
    sub = p.add_subparsers(dest="command", required=True)

    s = sub.add_parser("synth", help="generate a SynthAV corpus of real video files")
    s.add_argument("--suite", choices=["scenes", "performances"], required=True)
    s.add_argument("--profile", choices=PROFILE_NAMES, default="course")
    s.add_argument("--out", type=Path, required=True)
    s.add_argument("--seed", type=int, default=0)
    s.add_argument("--layout", choices=["synthav", "vegas", "vggsound", "ucf101", "suburmp"], default="synthav")
    s.add_argument("--workers", type=int, default=2)
    s.add_argument("--no-progress", action="store_true")

    b = sub.add_parser("build", help="build audio-image pairs from a corpus of videos")
    b.add_argument("--source", type=Path, required=True, help="corpus root folder")
    b.add_argument("--layout", choices=LAYOUTS, required=True)
    b.add_argument("--out", type=Path, required=True)
    b.add_argument("--segment", type=_segment, default=0.5, help="seconds per pair, or 'whole' (default 0.5)")
    b.add_argument("--frame", choices=FRAME_STRATEGIES, default="first")
    b.add_argument("--topk", type=int, default=3, help="moments per clip with --frame topk")
    b.add_argument("--min-dbfs", type=_min_dbfs, default=-45.0, help="loudness threshold, or 'none'")
    b.add_argument("--image-size", type=int, default=64)
    b.add_argument("--sample-rate", type=int, default=22050)
    b.add_argument("--test-fraction", type=float, default=0.2)
    b.add_argument("--balance", action="store_true", help="down-sample classes to equal counts")
    b.add_argument("--labels", nargs="+", default=None, help="keep only these classes")
    b.add_argument("--seed", type=int, default=0)
    b.add_argument("--workers", type=int, default=2)
    b.add_argument("--shard", type=_shard, default=(0, 1), help="I/N: process every N-th input from I")
    b.add_argument("--overwrite", action="store_true", help="replace a build made with other settings")
    b.add_argument("--no-progress", action="store_true")

    m = sub.add_parser("merge", help="merge the shards of a build into its manifest")
    m.add_argument("--out", type=Path, required=True)

    r = sub.add_parser("reproduce", help="execute every notebook headless into results/<profile>/")
    r.add_argument("--profile", choices=PROFILE_NAMES, default="course")
    r.add_argument("--seed", type=int, default=0)
    r.add_argument("--results", default="results", help="results folder (default results)")
    r.add_argument("--data-dir", default="data",
                   help="data folder, passed to every notebook as DATA_DIR (default data; relative to the repository)")
    r.add_argument("--only", nargs="*", help="notebook name prefixes, e.g. 01 02")
    r.add_argument("--timeout", type=int, default=None, help="seconds allowed per cell (default: no limit)")
    r.add_argument("--precision", choices=["fp32", "bf16"], default=None,
                   help="fp32 (default) or bf16 mixed precision for every training (sets S2I_PRECISION)")
    r.add_argument("--dry-run", action="store_true",
                   help="the profile's networks at their real size with 1%% of its steps and epochs and a small "
                        "corpus, into results/<profile>-dry/ (s2i_lib.course.dryrun)")

    s = sub.add_parser("site", help="the executed notebooks of results/<profile>/ as a static site in results/<profile>/site/")
    s.add_argument("--profile", default="course", help="the run to render (default course)")
    s.add_argument("--results", default="results", help="results folder (default results)")

    v = sub.add_parser("versions", help="student and instructor versions of every notebook into results/")
    v.add_argument("--out", type=Path, default=None, help="folder for student/ and instructor/ (default results)")
    return p


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    if args.command == "synth":
        from .synthav import CorpusMismatchError, generate_corpus
        try:
            path = generate_corpus(suite=args.suite, profile=args.profile, out=args.out, seed=args.seed,
                                   layout=args.layout, workers=args.workers, progress=not args.no_progress)
        except CorpusMismatchError as e:
            print(f"s2i synth: {e}", file=sys.stderr)
            return 2
        print(f"SynthAV {args.suite} ({args.profile}, seed {args.seed}, layout {args.layout}) written to {path}")
        return 0
    if args.command == "build":
        from .data.building import BuildConfig, BuildError, BuildSettingsError, build
        try:
            cfg = BuildConfig(segment=args.segment, frame=args.frame, topk=args.topk, min_dbfs=args.min_dbfs,
                              image_size=args.image_size, sample_rate=args.sample_rate,
                              test_fraction=args.test_fraction, balance=args.balance, seed=args.seed,
                              labels=tuple(args.labels) if args.labels else None)
            res = build(args.source, args.layout, args.out, cfg, workers=args.workers, shard=args.shard,
                        progress=not args.no_progress, overwrite=args.overwrite)
        except BuildError as e:
            print(f"s2i build: {e}", file=sys.stderr)
            return 1
        except (BuildSettingsError, FileNotFoundError, ValueError) as e:
            print(f"s2i build: {e}", file=sys.stderr)
            return 2
        print(res)
        return 0
    if args.command == "reproduce":
        from .course.dryrun import dry_name
        from .course.execution import ReproduceError, reproduce
        profile = dry_name(args.profile) if args.dry_run else args.profile
        if args.precision:                               # the kernels inherit it; the engine reads it
            os.environ["S2I_PRECISION"] = args.precision
        try:
            reproduce(profile, args.seed, args.results, args.only, data_dir=args.data_dir, timeout=args.timeout)
        except ReproduceError as e:
            for nb in e.result.failed:
                print(f"s2i reproduce: FAILED {nb.name}: {nb.error}", file=sys.stderr)
            print(f"s2i reproduce: summary in {e.result.summary}", file=sys.stderr)
            return 1
        except (FileNotFoundError, ValueError) as e:
            print(f"s2i reproduce: {e}", file=sys.stderr)
            return 2
        return 0
    if args.command == "site":
        from .course.site import build_site
        try:
            index = build_site(args.results, args.profile)
        except (FileNotFoundError, ImportError) as e:
            print(f"s2i site: {e}", file=sys.stderr)
            return 2
        print(f"course site: {index}")
        return 0
    if args.command == "versions":
        from .course.execution import list_notebooks
        from .course.runs import resolve
        from .course.versions import VersionError, write_versions
        out = args.out or resolve("results")
        try:
            written = write_versions(list_notebooks(), out)
        except VersionError as e:
            print(f"s2i versions: {e}", file=sys.stderr)
            return 2
        print(f"{len(written) // 2} notebooks: student versions in {out / 'student'}, instructor versions in "
              f"{out / 'instructor'}")
        return 0
    if args.command == "merge":
        from .data.building import BuildError, merge
        try:
            res = merge(args.out)
        except BuildError as e:
            print(f"s2i merge: {e}", file=sys.stderr)
            return 1
        except FileNotFoundError as e:
            print(f"s2i merge: {e}", file=sys.stderr)
            return 2
        print(res)
        return 0 if res.complete else 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
