"""`ocop-dev`: provision and run the development infrastructure.

Adding a subcommand: create a module listed in EXTENSION_MODULES exposing
`commands() -> list[Command]` (e.g. ocop_devstack/stack.py for `ocop-dev up`). Missing
extension modules are skipped, so they can land independently.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType

from ocop_devstack.config import INFRA_MODES, DevstackConfigError, InfraSettings

EXTENSION_MODULES: tuple[str, ...] = ("ocop_devstack.stack", "ocop_devstack.published")


@dataclass(frozen=True)
class Command:
    name: str
    help: str
    configure: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], int]


def main(argv: Sequence[str] | None = None) -> int:
    commands = {command.name: command for command in all_commands()}
    parser = build_parser(commands.values())
    args = parser.parse_args(argv)
    try:
        return commands[args.command].run(args)
    except (DevstackConfigError, RuntimeError, TimeoutError) as exc:
        print(f"ocop-dev {args.command}: error: {exc}", file=sys.stderr)
        return 1


def all_commands() -> list[Command]:
    return [*builtin_commands(), *_extension_commands()]


def build_parser(commands: Iterable[Command]) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="ocop-dev", description="Provision and run the OCOP development infrastructure."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in commands:
        command.configure(sub.add_parser(command.name, help=command.help))
    return parser


def builtin_commands() -> list[Command]:
    return [
        Command("provision", "download/build Kafka and FerretDB (cached)", _no_options, _provision),
        Command("infra", "run Kafka + document store until Ctrl-C", _infra_options, _infra),
    ]


def _extension_commands() -> list[Command]:
    found: list[Command] = []
    for name in EXTENSION_MODULES:
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name != name:  # the module exists but one of its imports is broken
                raise
            continue
        found.extend(module.commands())
    return found


def _no_options(parser: argparse.ArgumentParser) -> None:
    del parser


def _provision(args: argparse.Namespace) -> int:
    from ocop_devstack.provision import provision_all

    started = time.monotonic()
    provisioned = provision_all()
    print(f"kafka jars: {provisioned.kafka_libs}")
    print(f"ferretdb:   {provisioned.ferretdb_binary}")
    print(f"provisioned in {time.monotonic() - started:.2f}s")
    return 0


def _infra_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--mode", choices=INFRA_MODES, help="force a mode (default: auto)")
    parser.add_argument("--run-dir", type=Path, help="data and logs here (default: temp dir)")
    parser.add_argument("--env-file", type=Path, help="also write the export lines to this file")
    parser.add_argument("--partitions", type=int, default=1, help="Kafka num.partitions")


def _infra(args: argparse.Namespace) -> int:
    from ocop_devstack.infra import InfraStack

    settings = InfraSettings.from_env()
    if args.mode is not None:
        settings = InfraSettings(args.mode, settings.kafka_bootstrap, settings.mongo_url)
        settings.validate()
    # SIGTERM behaves like Ctrl-C so the `with` block below always stops the processes; SIGINT
    # is set explicitly because shells start background jobs with it ignored.
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, _raise_keyboard_interrupt)
    try:
        with InfraStack(
            settings=settings, run_dir=args.run_dir, kafka_partitions=args.partitions
        ) as infra:
            exports = "\n".join(infra.export_lines()) + "\n"
            print(exports, end="", flush=True)
            if args.env_file is not None:
                args.env_file.write_text(exports)
            print("[ocop-dev] ready; press Ctrl-C to stop", file=sys.stderr, flush=True)
            while True:
                signal.pause()
    except KeyboardInterrupt:
        print("[ocop-dev] stopped", file=sys.stderr, flush=True)
    return 0


def _raise_keyboard_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


if __name__ == "__main__":
    sys.exit(main())
