"""Figures of the codebase a newcomer meets (issue #12's before/after measures).

    uv run python bench/codebase.py

Prints the largest files, the functions over 60 lines, the count of untyped documents
(``dict[str, Any]`` / ``Document``) in service code, the domain/service-layer modules that load
FastAPI or Starlette (with the import chain), and, when the workplace's ``duplicates`` command is on
PATH, its 20 most-shared pairs in the source folders.
"""

from __future__ import annotations

import shutil
import subprocess

from ocop_devstack import codebase


def main() -> None:
    print("largest files:")
    for path, lines in codebase.largest_files():
        print(f"  {lines:5d}  {path.relative_to(codebase.REPO)}")
    long = codebase.long_functions()
    print(f"functions over {codebase.LONG_FUNCTION_LINES} lines: {len(long)}")
    for function in long:
        print(f"  {function.lines:5d}  {function.path.relative_to(codebase.REPO)}:{function.name}")
    print(f"dict[str, Any] / Document in service code: {codebase.untyped_document_count()}")
    web = codebase.inner_modules_reaching_web()
    print(f"domain/service_layer modules loading FastAPI or Starlette: {len(web)}")
    for name, chain in web.items():
        print(f"  {name}: {' -> '.join(chain)}")
    _duplicates()


def _duplicates() -> None:
    command = shutil.which("duplicates")
    if command is None:
        print("duplicates: command not on PATH (skipped)")
        return
    for folder in ("services", "libs"):
        out = subprocess.run(
            [command, "--repo", str(codebase.REPO / folder), "--most", "20", "--seconds", "120"],
            capture_output=True,
            text=True,
            check=False,
        ).stdout
        print(f"duplicates --most 20 in {folder}/: {out.splitlines()[0] if out else '(no output)'}")


if __name__ == "__main__":
    main()
