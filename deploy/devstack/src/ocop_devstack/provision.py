"""Download/build the native infrastructure once into the provisioning cache.

Each artifact lives in its own versioned directory with a `.complete` marker holding a
fingerprint of its inputs; no marker (or a stale one) means "redo from scratch". An fcntl
lock per artifact keeps concurrent processes (pytest + `ocop-dev infra`) from building twice.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import stat
import subprocess
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path

from ocop_devstack._console import say, tail
from ocop_devstack.config import (
    FERRETDB_PACKAGE,
    FERRETDB_VERSION,
    KAFKA_VERSION,
    checked_cache_dir,
    native_dir,
)

# Bump when the build steps change, so existing caches are rebuilt.
_RECIPE = "2"
_MARKER = ".complete"
_HEARTBEAT_S = 15.0


class ProvisionError(RuntimeError):
    """A download or build step failed; the message carries the tail of its log."""


@dataclass(frozen=True)
class Provisioned:
    kafka_libs: Path
    ferretdb_binary: Path


def kafka_libs_dir(cache: Path) -> Path:
    return cache / f"kafka-{KAFKA_VERSION}" / "libs"


def ferretdb_binary_path(cache: Path) -> Path:
    return cache / f"ferretdb-{FERRETDB_VERSION}" / "ferretdb"


def provision_all(cache: Path | None = None) -> Provisioned:
    cache = cache or checked_cache_dir()
    return Provisioned(provision_kafka(cache), provision_ferretdb(cache))


def provision_kafka(cache: Path | None = None) -> Path:
    """Kafka broker jars (Maven Central) -> <cache>/kafka-<ver>/libs."""
    cache = cache or checked_cache_dir()
    pom = native_dir() / "kafka-pom.xml"
    libs = kafka_libs_dir(cache)
    fingerprint = _fingerprint(pom.read_bytes())

    def build(log: Path) -> None:
        _require_tool("mvn", "install Maven (apt-get install maven)")
        _require_tool("java", "install a JDK 17+ (apt-get install openjdk-17-jre-headless)")
        _remove_tree(libs)
        _run_logged(
            [
                "mvn",
                "-B",
                "-f",
                str(pom),
                "dependency:copy-dependencies",
                "-DincludeScope=runtime",
                f"-DoutputDirectory={libs}",
            ],
            log=log,
        )
        if not (libs / f"kafka_2.13-{KAFKA_VERSION}.jar").is_file():
            raise ProvisionError(f"Maven finished but kafka_2.13-{KAFKA_VERSION}.jar is missing")

    _ensure(libs.parent, fingerprint, f"Kafka {KAFKA_VERSION} jars (Maven Central)", build)
    return libs


def provision_ferretdb(cache: Path | None = None) -> Path:
    """FerretDB binary built from the module pinned in deploy/native/ferretdb."""
    cache = cache or checked_cache_dir()
    module = native_dir() / "ferretdb"
    binary = ferretdb_binary_path(cache)
    fingerprint = ferretdb_fingerprint(module)

    def build(log: Path) -> None:
        _require_tool("go", "install Go 1.24+")
        _build_ferretdb(module, binary, log)

    _ensure(binary.parent, fingerprint, f"FerretDB {FERRETDB_VERSION} (go build)", build)
    return binary


def _build_ferretdb(module: Path, binary: Path, log: Path) -> None:
    # Building the package from our pinning module (or `go install`) makes FerretDB the main
    # module without build/version/version.txt, and the binary panics at start. So build a
    # writable copy of the pinned module source with that generated file added.
    source_dir = _go_module_dir(module, log)
    src = binary.parent / "src"
    _remove_tree(src)
    shutil.copytree(source_dir, src, symlinks=True)
    _make_writable(src)
    (src / "build" / "version" / "version.txt").write_text(f"{FERRETDB_VERSION}\n")
    for patch in ferretdb_patches(module):
        _apply_patch(patch, src, log)
    partial = binary.with_name(binary.name + ".partial")
    env = {"CGO_ENABLED": "0", "GOWORK": "off"}
    _run_logged(
        ["go", "build", "-buildvcs=false", "-o", str(partial), "./cmd/ferretdb"],
        log=log,
        cwd=src,
        env=env,
    )
    _check_ferretdb_binary(partial, log)
    partial.replace(binary)
    _remove_tree(src)


def ferretdb_fingerprint(module: Path) -> str:
    """The pinned module and our patches: change either and every machine rebuilds once."""
    return _fingerprint(
        (module / "go.mod").read_bytes(),
        (module / "go.sum").read_bytes(),
        *(patch.read_bytes() for patch in ferretdb_patches(module)),
    )


def ferretdb_patches(module: Path) -> list[Path]:
    """Our small fixes of FerretDB defects, applied in name order (each file explains itself)."""
    return sorted((module / "patches").glob("*.patch"))


def _apply_patch(patch: Path, source: Path, log: Path) -> None:
    _require_tool("patch", "install GNU patch (apt-get install patch)")
    _run_logged(
        ["patch", "-p1", "--forward", "--batch", "--no-backup-if-mismatch", "-i", str(patch)],
        log=log,
        cwd=source,
    )


def _go_module_dir(module: Path, log: Path) -> Path:
    out = _run_logged(
        ["go", "mod", "download", "-json", FERRETDB_PACKAGE],
        log=log,
        cwd=module,
        env={"GOWORK": "off"},
        capture=True,
    )
    info = json.loads(out)
    if info.get("Version") != FERRETDB_VERSION or not info.get("Dir"):
        raise ProvisionError(f"unexpected `go mod download` answer: {out.strip()}")
    return Path(info["Dir"])


def _check_ferretdb_binary(binary: Path, log: Path) -> None:
    result = subprocess.run(
        [str(binary), "--version"], capture_output=True, text=True, timeout=30, check=False
    )
    with log.open("a", encoding="utf-8") as fh:
        fh.write(f"$ {binary} --version\n{result.stdout}{result.stderr}")
    if result.returncode != 0 or f"version: {FERRETDB_VERSION}" not in result.stdout:
        raise ProvisionError(
            f"built FerretDB does not run (exit {result.returncode}):\n{tail(log, 15)}"
        )


def _ensure(target: Path, fingerprint: str, label: str, build: Callable[[Path], None]) -> None:
    marker = target / _MARKER
    if _marker_matches(marker, fingerprint):
        return  # fast path: no lock, no subprocess
    target.parent.mkdir(parents=True, exist_ok=True)
    with _file_lock(target.parent / f".{target.name}.lock", label):
        if _marker_matches(marker, fingerprint):
            return  # another process finished it while we waited
        target.mkdir(parents=True, exist_ok=True)
        marker.unlink(missing_ok=True)
        log = target.parent / f"{target.name}.provision.log"
        log.write_text("")
        say(f"provisioning {label} into {target} (first run only; log: {log})")
        started = time.monotonic()
        build(log)
        marker.write_text(fingerprint)
        say(f"{label} ready in {time.monotonic() - started:.1f}s")


def _marker_matches(marker: Path, fingerprint: str) -> bool:
    try:
        return marker.read_text().strip() == fingerprint
    except OSError:
        return False


def _fingerprint(*inputs: bytes) -> str:
    digest = hashlib.sha256(_RECIPE.encode())
    for chunk in inputs:
        digest.update(hashlib.sha256(chunk).digest())
    return digest.hexdigest()


@contextlib.contextmanager
def _file_lock(path: Path, label: str) -> Iterator[None]:
    with path.open("a") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            say(f"waiting for another process that is provisioning {label} ...")
            fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _run_logged(
    argv: list[str],
    *,
    log: Path,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
    capture: bool = False,
) -> str:
    """Run a tool with its output appended to `log`; print a heartbeat while it runs."""
    say("$ " + " ".join(argv))
    with log.open("a", encoding="utf-8") as fh:
        fh.write(f"$ {' '.join(argv)}\n")
        fh.flush()
        proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env={**os.environ, **(env or {})},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if capture else fh,
            stderr=fh if capture else subprocess.STDOUT,
            text=True,
        )
        out = _wait_with_heartbeat(proc, argv[0])
    if proc.returncode != 0:
        raise ProvisionError(
            f"`{' '.join(argv)}` failed with exit code {proc.returncode}; "
            f"full log: {log}\n{tail(log)}"
        )
    return out


def _wait_with_heartbeat(proc: subprocess.Popen[str], name: str) -> str:
    started = time.monotonic()
    while True:
        try:
            out, _ = proc.communicate(timeout=_HEARTBEAT_S)
            return out or ""
        except subprocess.TimeoutExpired:
            say(f"... {name} still running ({time.monotonic() - started:.0f}s)")


def _require_tool(name: str, hint: str) -> None:
    if shutil.which(name) is None:
        raise ProvisionError(f"`{name}` is not on PATH: {hint}")


def _make_writable(root: Path) -> None:
    # Files copied from GOMODCACHE are read-only, which would also break later rmtree.
    for path in [root, *root.rglob("*")]:
        if not path.is_symlink():
            path.chmod(path.stat().st_mode | stat.S_IWUSR)


def _remove_tree(path: Path) -> None:
    if path.exists():
        _make_writable(path)
        shutil.rmtree(path)
