"""Timing helpers: commands run to the end, alternating rounds and medians."""

import signal
import statistics
import subprocess
import time
from dataclasses import dataclass

# How long an interrupted command gets to clean up before it is killed.
STOP_GRACE_SECONDS = 5


class CommandFailed(Exception):
    """A timed command exited non-zero; carries its last lines of stderr."""

    def __init__(self, argv, returncode, stderr):
        tail = "\n".join(stderr.strip().splitlines()[-5:])
        super().__init__(f"{' '.join(argv[:4])} ... exited {returncode}: {tail}")
        self.argv = argv
        self.returncode = returncode
        self.stderr = stderr


@dataclass(frozen=True)
class Run:
    seconds: float
    stdout: str
    stderr: str


def run_command(argv, env, *, timeout=300):
    """Run ``argv`` to the end and time it, from process start to exit.

    An interrupt stops the command too (SIGINT first, so ``apmt`` can unwind),
    rather than leaving it running against databases about to be dropped.
    """
    started = time.perf_counter()
    process = subprocess.Popen(
        argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except BaseException:
        stop_process(process)
        raise
    seconds = time.perf_counter() - started

    if process.returncode != 0:
        raise CommandFailed(argv, process.returncode, stderr)
    return Run(seconds, stdout, stderr)


def stop_process(process):
    """Ask a child to stop, then kill it if it does not within the grace time."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGINT)
    try:
        process.wait(STOP_GRACE_SECONDS)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def time_call(fn, *args, **kwargs):
    """Seconds ``fn(*args, **kwargs)`` takes; its result is dropped."""
    started = time.perf_counter()
    fn(*args, **kwargs)
    return time.perf_counter() - started


def alternate(rounds, measures, *, warmup=1):
    """Call each measure once per round and collect the seconds each returns.

    ``measures`` maps a name to ``measure(index) -> seconds``; ``index`` counts
    every call, the ``warmup`` rounds first, whose samples are dropped (they pay
    for cold caches). The order rotates from round to round so that a slow drift
    of the shared machine (another job starting) does not land on one side of a
    ratio only.
    """
    samples = {name: [] for name in measures}
    names = list(measures)
    for index in range(warmup + rounds):
        shift = index % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].append(measures[name](index))
    return {name: taken[warmup:] for name, taken in samples.items()}


def summarise(samples):
    """Median, spread and the raw samples of a list of seconds."""
    return {
        "median_s": round(statistics.median(samples), 4),
        "min_s": round(min(samples), 4),
        "max_s": round(max(samples), 4),
        "n": len(samples),
        "samples_s": [round(s, 4) for s in samples],
    }


def ratio(samples, baseline):
    """Median of ``samples`` over median of ``baseline``."""
    return statistics.median(samples) / statistics.median(baseline)
