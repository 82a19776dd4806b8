"""Where the machine's CPU goes during a bench run, per process: the kernel's account, and py-spy's samples.

`bench/openloop.py --cpu` reads each process's CPU time (utime + stime from /proc, its descendants included: the
gunicorn apps' forked workers) before and after each offered rate and prints it per complete application, beside
the whole machine's; a figure that, unlike a rate, says which process to make cheaper. With `--py-spy` it also
records every Python service process with py-spy (a dev dependency, pinned) for the run and prints each one's
functions with the most samples of their own (the leaf frame) and credbridge's own frames with the most samples
below them.

Linux only (/proc); py-spy needs to be allowed to read the processes' memory (the same user, no ptrace lockdown), and
says so plainly when it is not.
"""
from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

_TICK_S = 1 / os.sysconf("SC_CLK_TCK")
OWN_CODE = re.compile(r"\((?:.*/)?(?:services|shared)/")  # a frame's file: credbridge's own code


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds) of a live process, or None once it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()  # after "pid (comm) ": state, ppid, ...; utime, stime are 12, 13
    return int(fields[1]), (int(fields[11]) + int(fields[12])) * _TICK_S


def _all_processes() -> dict[int, tuple[int, float]]:
    table = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit() and (stat := _stat(int(entry))) is not None:
            table[int(entry)] = stat
    return table


def reading(roots: dict[str, int | list[int]]) -> dict[str, float]:
    """CPU seconds so far of each named process and its live descendants (but not another named one's: the bench
    spawns the servers), and of the whole machine ("machine")."""
    table = _all_processes()
    children: dict[int, list[int]] = {}
    for pid, (ppid, _) in table.items():
        children.setdefault(ppid, []).append(pid)
    pids = {name: root if isinstance(root, list) else [root] for name, root in roots.items()}
    named = {pid for group in pids.values() for pid in group}
    out = {}
    for name, group in pids.items():
        total, todo = 0.0, list(group)
        while todo:
            pid = todo.pop()
            total += table[pid][1] if pid in table else 0.0
            todo += [child for child in children.get(pid, []) if child not in named]
        out[name] = total
    with open("/proc/stat") as f:
        user, nice, system = (int(v) for v in f.readline().split()[1:4])
    out["machine"] = (user + nice + system) * _TICK_S
    return out


def table(before: dict[str, float], after: dict[str, float], applications: int, seconds: float) -> str:
    """Per process: CPU ms per complete application, cores used on average over the run, share of the machine's."""
    if not applications or not before:
        return ""
    machine = after["machine"] - before["machine"]
    spent = {name: after[name] - before.get(name, 0.0) for name in after if name != "machine"}
    lines = [f"    CPU per complete application: {machine * 1000 / applications:.1f} ms on the machine "
             f"({machine / seconds:.2f} of {os.cpu_count()} cores over {seconds:.0f} s); by process:",
             "    | process | CPU ms/application | cores | share |", "    |---|---|---|---|"]
    for name, cpu in sorted(spent.items(), key=lambda kv: -kv[1]):
        lines.append(f"    | {name} | {cpu * 1000 / applications:.2f} | {cpu / seconds:.2f} | "
                     f"{cpu / machine:.0%} |" if machine else f"    | {name} | - | - | - |")
    return "\n".join(lines)


@dataclass
class Spy:
    """py-spy recording each named process (subprocesses included) until stop(); raw stack counts per process."""
    targets: dict[str, int]
    out_dir: Path
    rate: int = 50
    procs: dict[str, subprocess.Popen] = field(default_factory=dict)
    problem: str = ""

    def start(self) -> "Spy":
        binary = shutil.which("py-spy", path=str(Path(sys.executable).parent)) or shutil.which("py-spy")
        if binary is None:
            self.problem = "py-spy is not installed (it is a dev dependency: make install)"
            return self
        self.out_dir.mkdir(parents=True, exist_ok=True)
        for name, pid in self.targets.items():
            # --nonblocking: samples without pausing the process, so the profile does not slow what it measures;
            # --gil: only the thread holding the interpreter lock, so the samples are where CPU went, not waits.
            self.procs[name] = subprocess.Popen(
                [binary, "record", "--pid", str(pid), "--subprocesses", "--nonblocking", "--gil", "--rate",
                 str(self.rate),
                 "--format", "raw", "--output", str(self.out_dir / f"{name}.txt")],
                stdout=subprocess.DEVNULL, stderr=open(self.out_dir / f"{name}.err", "w"))
        return self

    def pids(self) -> list[int]:
        """The profilers' own processes: their CPU is the measurement's, counted apart from the bench's."""
        return [proc.pid for proc in self.procs.values()]

    def stop(self) -> None:
        for proc in self.procs.values():
            proc.send_signal(2)  # py-spy writes its output on SIGINT
        for proc in self.procs.values():
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()

    def report(self, top: int = 6) -> str:
        if self.problem:
            return f"    py-spy: {self.problem}"
        lines = []
        for name in self.procs:
            stacks = read_raw(self.out_dir / f"{name}.txt")
            if not stacks:
                err = (self.out_dir / f"{name}.err").read_text().strip().splitlines()
                lines.append(f"    {name}: no samples ({err[-1] if err else 'py-spy wrote nothing'})")
                continue
            leaf, own, total = summarise(stacks)
            lines.append(f"    {name}: {total:,} samples; most of their own: " + "; ".join(
                f"{frame} {n / total:.0%}" for frame, n in leaf.most_common(top)))
            lines.append("      by the innermost credbridge function: " + "; ".join(
                f"{frame} {n / total:.0%}" for frame, n in own.most_common(top)))
        return "\n".join(lines)


def read_raw(path: Path) -> Counter[tuple[str, ...]]:
    """py-spy's raw (collapsed) format: `frame;frame;...;leaf count` per line, the outermost frame first; with
    --subprocesses each stack starts with `process PID:"command line"` frames, left out here."""
    stacks: Counter[tuple[str, ...]] = Counter()
    if not path.exists():
        return stacks
    for line in path.read_text().splitlines():
        text, _, count = line.rpartition(" ")
        if text and count.isdigit():
            frames = tuple(f for f in text.split(";") if not f.startswith("process "))
            if frames:
                stacks[frames] += int(count)
    return stacks


def summarise(stacks: Counter[tuple[str, ...]]) -> tuple[Counter[str], Counter[str], int]:
    """(samples by leaf frame, samples by the innermost credbridge frame of the stack: the function of ours that
    spent them, itself or in the libraries it called; all samples)."""
    leaf: Counter[str] = Counter()
    own: Counter[str] = Counter()
    for frames, n in stacks.items():
        leaf[_short(frames[-1])] += n
        if inner := next((f for f in reversed(frames) if OWN_CODE.search(f)), None):
            own[_short(inner)] += n
    return leaf, own, sum(stacks.values())


def _short(frame: str) -> str:
    """`function (path/to/file.py:123)` → `function (to/file.py)`: lines apart, one function is one entry."""
    name, _, where = frame.partition(" (")
    return f"{name} ({'/'.join(Path(where.rstrip(')').rsplit(':', 1)[0]).parts[-2:])})" if where else name
