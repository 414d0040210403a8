"""Benchmark: wall time and peak memory of `mdpool synth` and `mdpool validate`.

`synth` is compared with its floor: a process that only imports the provider modules the stacks use
(loading the azurerm jsii assembly dominates; synth cannot go much below it). The commands run in
rounds, one of each per round, so a round's commands see the same machine load: synth's ratio to
the floor is the median of the rounds' ratios (paired medians). The table shows each command's
median. Peak memory is the whole process tree (Python plus the jsii Node process), sampled from
/proc every 10 ms.

    make bench                  # or: .venv/bin/python bench/run.py --runs 7
    .venv/bin/python bench/run.py --only validate --runs 21   # start time of validate alone

A fleet's synth is compared with the one-pool synth: config/fleet.yaml grown to 10 pools (the
binding load dominates, so ten pool stacks should cost little more than one).

Targets on a 2-core machine: synth within 1.1x of the floor (time, paired) and 1.3x (memory);
synth of 10 pools within 1.5x of one pool; validate under 0.3 s (the whole process: Python's
start, the imports, reading and checking the config and its image definitions). Exits 1 when a
target is missed.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent

FLOOR = (
    "import importlib\n"
    "from mdpool.bindings import BINDING_MODULES\n"
    "from mdpool.node import use_bundled_node\n"
    "use_bundled_node()\n"
    "for name in BINDING_MODULES:\n"
    "    importlib.import_module(name)\n"
)
"""The floor: a process that imports the provider binding modules the stacks use (mdpool.bindings), no more."""


def tree_rss_kib(root: int) -> int:
    """Resident memory of `root` and all its descendants, in KiB (0 once it has gone)."""
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        try:
            with open(f"/proc/{pid}/status") as status:
                for line in status:
                    if line.startswith("VmRSS:"):
                        total += int(line.split()[1])
                        break
            for task in os.listdir(f"/proc/{pid}/task"):
                with open(f"/proc/{pid}/task/{task}/children") as children:
                    stack += [int(child) for child in children.read().split()]
        except (FileNotFoundError, ProcessLookupError, PermissionError):
            continue
    return total


def measure(command: list[str], cwd: Path) -> tuple[float, float]:
    """(seconds, peak MiB of the process tree) for one run; fails loudly if the command fails."""
    peak = 0
    started = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = threading.Event()

    def sample() -> None:
        nonlocal peak
        while not done.is_set():
            peak = max(peak, tree_rss_kib(process.pid))
            done.wait(0.01)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    elapsed = time.perf_counter() - started
    done.set()
    sampler.join()
    if process.returncode != 0:
        raise SystemExit(f"bench: {' '.join(command)} failed:\n{stderr.decode()}")
    return elapsed, peak / 1024


def write_fleet(scratch: Path, pools: int) -> Path:
    """config/fleet.yaml with `pools` pools (copies of its Linux pool), beside a link to the image files."""
    import copy

    import yaml

    data = yaml.safe_load((REPO / "config" / "fleet.yaml").read_text())
    template = data["pools"][0]
    data["pools"] = [dict(copy.deepcopy(template), name=f"p{index}") for index in range(pools)]
    (scratch / "images").symlink_to(REPO / "images")
    (scratch / "config").mkdir()
    path = scratch / "config" / f"fleet-{pools}.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


SYNTH_TARGET = 1.1
"""synth / floor, paired median (issue 20: it was 1.27x)."""
VALIDATE_TARGET = 0.3
"""seconds, median (issue 20: it was about 0.36 s)."""


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=["validate"], help="measure only this command (validate: its start time)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        validate = [str(BIN / "mdpool"), "validate", "--config", "config/example.yaml"]
        if args.only == "validate":
            cases = {"mdpool validate": validate}
        else:
            ten = write_fleet(Path(scratch), 10)
            cases = {
                "floor (import provider modules)": [str(BIN / "python"), "-c", FLOOR],
                "mdpool synth": [str(BIN / "mdpool"), "synth", "--out", str(Path(scratch) / "cdktf.out")],
                "mdpool synth (10 pools)": [
                    str(BIN / "mdpool"),
                    "synth",
                    "--config",
                    str(ten),
                    "--out",
                    str(Path(scratch) / "fleet.out"),
                ],
                "mdpool validate": validate,
            }
        for command in cases.values():  # warm the file cache once
            measure(command, REPO)
        rounds: list[dict[str, tuple[float, float]]] = [
            {name: measure(command, REPO) for name, command in cases.items()} for _ in range(args.runs)
        ]
    results = {
        name: (statistics.median(r[name][0] for r in rounds), statistics.median(r[name][1] for r in rounds)) for name in cases
    }
    print(
        f"machine: {os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}; "
        f"medians of {args.runs} rounds; load average {os.getloadavg()[0]:.1f} at the end"
    )
    print()
    validate_time, _ = results["mdpool validate"]
    if args.only == "validate":
        print(f"| mdpool validate | {validate_time:.3f} s | {results['mdpool validate'][1]:.0f} MiB |")
        checks = {f"validate under {VALIDATE_TARGET} s": validate_time < VALIDATE_TARGET}
        return _report(checks)
    floor = "floor (import provider modules)"
    floor_time, floor_mem = results[floor]
    synth_time, synth_mem = results["mdpool synth"]
    fleet_time, _ = results["mdpool synth (10 pools)"]
    paired = statistics.median(r["mdpool synth"][0] / r[floor][0] for r in rounds)
    print("| command | wall time (s) | peak memory (MiB) | vs floor |")
    print("|---|---:|---:|---:|")
    for name, (seconds, mib) in results.items():
        ratio = f"{paired:.2f}x time (paired), {mib / floor_mem:.2f}x memory" if name == "mdpool synth" else "-"
        if name == "mdpool synth (10 pools)":
            ratio = f"{seconds / synth_time:.2f}x the one-pool synth"
        print(f"| {name} | {seconds:.2f} | {mib:.0f} | {ratio} |")
    checks = {
        f"synth within {SYNTH_TARGET}x of the floor (time, paired)": paired <= SYNTH_TARGET,
        "synth within 1.3x of the floor (memory)": synth_mem <= 1.3 * floor_mem,
        "synth of 10 pools within 1.5x of one pool (time)": fleet_time <= 1.5 * synth_time,
        f"validate under {VALIDATE_TARGET} s": validate_time < VALIDATE_TARGET,
    }
    return _report(checks)


def _report(checks: dict[str, bool]) -> int:
    print()
    for name, passed in checks.items():
        print(f"{'PASS' if passed else 'FAIL'}  {name}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
