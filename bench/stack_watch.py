"""Watch a running benchmark stack: CPU per process and each service's consumer lag, over time.

    uv run python bench/stack_watch.py --bench-pid PID [--every 2] [--seconds 600]

Finds the stack under ``--bench-pid`` (e.g. bench/national.py's python process): FerretDB,
Kafka and the four services, the services' Kafka bootstrap and consumer groups from their
environment. Every ``--every`` seconds it prints one line: the CPU share of each process since
the last line (% of one core, from /proc/<pid>/stat) and each service's lag per topic (end
offset minus committed offset). Which stage lags, and who burns the CPU meanwhile, is what tells
where a pipeline's time goes. Nothing is changed on the stack.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
from dataclasses import dataclass
from pathlib import Path

from ocop_contracts import topics
from ocop_devstack.kafka_bench import KafkaWatch

TICKS = os.sysconf("SC_CLK_TCK")
SERVICES = ("registry", "evaluation", "promotion", "reporting")


@dataclass
class Proc:
    pid: int
    name: str
    env: dict[str, str]


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with_children = task / "children"
        if with_children.exists():
            found += [int(p) for p in with_children.read_text().split()]
    return found


def tree(pid: int) -> list[int]:
    pids, todo = [], [pid]
    while todo:
        current = todo.pop()
        pids.append(current)
        todo += children(current)
    return pids


def describe(pid: int) -> Proc | None:
    try:
        args = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        raw_env = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    except OSError:
        return None
    env = dict(e.decode(errors="replace").split("=", 1) for e in raw_env if b"=" in e)
    line = b" ".join(args).decode(errors="replace")
    if "ferretdb" in line:
        name = "ferretdb"
    elif "java" in line and "kafka" in line:
        name = "kafka"
    elif len(args) > 2 and args[1] == b"-m" and args[2].startswith(b"ocop_"):
        name = args[2].decode().removeprefix("ocop_")  # python -m ocop_<service>
    elif "bench/" in line and "python" in args[0].decode(errors="replace"):
        name = "bench"
    else:
        return None
    return Proc(pid, name, env)


def cpu_ticks(pid: int) -> int:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0
    return int(fields[11]) + int(fields[12])  # utime + stime


def alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def stack(bench_pid: int) -> list[Proc]:
    procs = [p for pid in tree(bench_pid) if (p := describe(pid)) is not None]
    # A service started through `uv run` shows twice (uv and python): keep the deepest one.
    by_name: dict[str, Proc] = {}
    for proc in procs:
        by_name[proc.name] = proc
    return list(by_name.values())


# Each service's topics, as bench/national.py's CONSUMES (the ingest topics left out but
# evaluation's: the pipeline starts there).
TOPICS = {
    "registry": (topics.EVALUATION,),
    "evaluation": (topics.REGISTRY, topics.INGEST_EVALUATION),
    "promotion": (topics.REGISTRY, topics.EVALUATION),
    "reporting": (topics.REGISTRY, topics.EVALUATION, topics.PROMOTION),
}


async def watch(args: argparse.Namespace) -> None:
    procs: list[Proc] = []
    while not {"ferretdb", "kafka", *SERVICES} <= {p.name for p in procs}:
        if not alive(args.bench_pid):
            return
        procs = stack(args.bench_pid)
        await asyncio.sleep(1)
    services = {p.name: p for p in procs if p.name in SERVICES}
    bootstrap = services["evaluation"].env["OCOP_KAFKA_BOOTSTRAP"]
    groups = {
        s: f"{p.env.get('OCOP_CONSUMER_GROUP_PREFIX', 'ocop')}.{s}" for s, p in services.items()
    }
    print("stack: " + ", ".join(f"{p.name}={p.pid}" for p in procs), flush=True)
    last = {p.pid: cpu_ticks(p.pid) for p in procs}
    last_time, stop = time.monotonic(), time.monotonic() + args.seconds
    async with KafkaWatch(bootstrap) as kafka:
        while time.monotonic() < stop and alive(args.bench_pid):
            await asyncio.sleep(args.every)
            now = time.monotonic()
            ticks = {p.pid: cpu_ticks(p.pid) for p in procs}
            cpu = {
                p.name: 100 * (ticks[p.pid] - last[p.pid]) / TICKS / (now - last_time)
                for p in procs
            }
            last, last_time = ticks, now
            lags = []
            for service, watched in TOPICS.items():
                per_topic = [
                    await kafka.lag(groups[service], [t]) for t in watched if await kafka.size([t])
                ]
                lags.append(f"{service[:4]} {'/'.join(str(n) for n in per_topic)}")
            load = os.getloadavg()[0]
            print(
                f"{time.strftime('%H:%M:%S')} load {load:4.1f} cpu% "
                + " ".join(f"{name[:4]} {share:3.0f}" for name, share in sorted(cpu.items()))
                + " | lag "
                + ", ".join(lags),
                flush=True,
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--bench-pid", type=int, required=True)
    parser.add_argument("--every", type=float, default=2.0)
    parser.add_argument("--seconds", type=float, default=3600.0)
    asyncio.run(watch(parser.parse_args()))


if __name__ == "__main__":
    main()
