"""``qapic harness``: QMP harnesses that prove single-binary QAPI code equals per-target code.

See :mod:`qapic.proof.harness.build` (what is built, and how cheaply) and
:mod:`qapic.proof.harness.doubles` (the generated command implementations).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from qapic import options

HELP = "build QMP test harnesses (per target and single-binary) against a QEMU build"
DESCRIPTION = (
    "Build, against a configured and built QEMU build directory (QEMU 10.0 or 10.2), a QMP "
    "harness per target "
    "(OUT/per-target/X/qmp-harness: the output of the QEMU source's own scripts/qapi-gen.py, "
    "or of qapic generate with --reference qapic, compiled with X's TARGET_* macros) "
    "and the single-binary harness (OUT/qmp-harness, compiled once; run it as qemu-system-X, "
    "see OUT/bin/, or with -target X[,Y]). Each speaks QMP on stdin/stdout like "
    "'qemu-system-X -qmp stdio', with generated test doubles as command implementations. "
    "OUT/harness-build.json (also printed) says which generator wrote each side's code "
    "('generators').")


def configure(p: argparse.ArgumentParser) -> None:
    from qapic.frontend.overlay import shipped_releases

    p.add_argument("--qemu-build", metavar="DIR", type=Path, required=True,
                   help="a configured and built QEMU build directory (QEMU 10.0 or 10.2)")
    p.add_argument("-o", "--output", metavar="OUT", type=Path, required=True,
                   help="output directory")
    p.add_argument("--targets", metavar="all|X,Y", default="all",
                   help="targets to build per-target harnesses for (default: all)")
    p.add_argument("--schema", metavar="SCHEMA", type=Path,
                   help="main schema (default: qapi/qapi-schema.json of the build's source)")
    p.add_argument("--conditions", metavar=options.CONDITIONS_METAVAR,
                   type=options.conditions_path,
                   help="a conditions file applied to the schema for both kinds of harness, or "
                        "a QEMU release naming the one qapic ships (for "
                        f"{', '.join(shipped_releases())}; e.g. 10.2 on a QEMU 10.2 build)")
    p.add_argument("--reference", choices=("upstream", "qapic"),
                   help="generator of the per-target harnesses (default: upstream, i.e. the "
                        "QEMU source's scripts/qapi-gen.py). --conditions without "
                        "--reference-schema is refused unless qapic is named here: the "
                        "per-target side is then qapic's own output, not an independent "
                        "reference")
    p.add_argument("--reference-schema", metavar="SCHEMA", type=Path,
                   help="the schema upstream's generator compiles for the per-target harnesses "
                        "(instead of SCHEMA): with --conditions, the schema with those "
                        "conditions written into its JSON, since upstream's generator takes no "
                        "conditions file")
    p.add_argument("--no-single", action="store_true", help="skip the single-binary harness")
    p.add_argument("--no-per-target", action="store_true", help="skip the per-target harnesses")
    p.add_argument("-j", "--jobs", type=int, help="parallel compiles (default: CPU count)")
    p.add_argument("--sanitize", metavar="address,undefined", default="",
                   help="compile the generated code, doubles and harness with these sanitizers "
                        "(-fsanitize=...; any UBSan report is fatal) and link with their "
                        "run-times; QEMU's libqemuutil.a stays uninstrumented. Use another "
                        "OUT than the normal build's")


def run(args: argparse.Namespace) -> int:
    """Problems are raised (QAPIError for the schema, qapic.userio's errors for the rest) and
    reported by :func:`qapic.cli.main`.  On a terminal, standard error shows what is being
    compiled and linked (n of m); when it is a pipe or a file, nothing.  A failed build into a
    new directory leaves no directory behind; into an existing one, no report."""
    from qapic.proof.harness.base import HarnessError
    from qapic.proof.harness.build import HarnessOptions, build, check_reference
    from qapic.userio import (
        CommandError,
        StatusLine,
        UsageError,
        check_input_dir,
        check_input_file,
        new_tree_removed_on_error,
        output_dir_problem,
        write_error,
        write_stdout,
    )

    targets = None if args.targets == "all" else [
        t.strip() for t in args.targets.split(",") if t.strip()]
    try:
        check_reference(args.reference, args.conditions, args.reference_schema,
                        not args.no_per_target)
    except HarnessError as e:
        raise UsageError(str(e)) from None
    check_input_dir(args.qemu_build)
    if args.reference_schema is not None:
        check_input_file(args.reference_schema, "a QAPI schema")
    problem = output_dir_problem(args.output)
    if problem is not None:
        raise CommandError(f"cannot write {args.output}: {problem}")
    status = StatusLine()
    try:
        with new_tree_removed_on_error(args.output):
            build(args.qemu_build, args.output, HarnessOptions(
                targets, args.schema, single=not args.no_single,
                per_target=not args.no_per_target, jobs=args.jobs,
                sanitize=[s.strip() for s in args.sanitize.split(",") if s.strip()],
                conditions=args.conditions, reference=args.reference,
                reference_schema=args.reference_schema), log=status.say, progress=status.count)
    except KeyError as e:
        raise UsageError(f"unknown target {e}") from None
    except HarnessError as e:
        raise CommandError(str(e)) from None
    except OSError as err:
        raise write_error(args.output, err) from None
    finally:
        status.end()
    report = json.loads((args.output / "harness-build.json").read_text())
    write_stdout(json.dumps(report, indent=1) + "\n")
    return 0
