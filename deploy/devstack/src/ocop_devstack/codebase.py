"""Static measures of the services' code: what a newcomer meets, and the layers' import rules.

Read by ``bench/codebase.py`` (before/after figures) and by ``tests/unit/test_import_rules.py``
(domain and service layers must not reach FastAPI or Starlette, not even through a helper
module). Everything here reads source files with :mod:`ast`; nothing is imported or run.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path

REPO = Path(__file__).resolve().parents[4]
SOURCE_ROOTS = (
    REPO / "libs" / "contracts" / "src",
    REPO / "libs" / "platform" / "src",
    *sorted((REPO / "services").glob("*/src")),
)
WEB_FRAMEWORKS = ("fastapi", "starlette")
INNER_LAYERS = ("domain", "service_layer")
UNTYPED = re.compile(r"\bdict\[str, Any\]|\bDocument\b")
LONG_FUNCTION_LINES = 60


@dataclass(frozen=True, slots=True)
class Module:
    name: str
    path: Path

    @property
    def layer(self) -> str | None:
        parts = self.name.split(".")
        return next((p for p in parts if p in INNER_LAYERS), None)


@dataclass(frozen=True, slots=True)
class LongFunction:
    path: Path
    name: str
    lines: int


def modules() -> dict[str, Module]:
    """Every first-party module, by dotted name."""
    found: dict[str, Module] = {}
    for root in SOURCE_ROOTS:
        for path in sorted(root.rglob("*.py")):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = Module(".".join(parts), path)
    return found


def service_modules() -> list[Module]:
    return [m for m in modules().values() if "services" in m.path.parts]


@cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _runtime_imports(tree: ast.Module, package: str) -> Iterator[str]:
    """Modules imported when this module is imported (``if TYPE_CHECKING:`` blocks and imports
    inside functions do not count: they run later, at the edge, if ever)."""
    for node in tree.body:
        yield from _imports_of(node, package)


def _imports_of(node: ast.stmt, package: str) -> Iterator[str]:
    if isinstance(node, ast.Import):
        yield from (alias.name for alias in node.names)
    elif isinstance(node, ast.ImportFrom):
        base = _absolute(node, package)
        yield base
        yield from (f"{base}.{alias.name}" for alias in node.names)
    elif isinstance(node, ast.If) and not _is_type_checking(node.test):
        for child in [*node.body, *node.orelse]:
            yield from _imports_of(child, package)
    elif isinstance(node, ast.Try):
        for child in [*node.body, *node.orelse, *node.finalbody]:
            yield from _imports_of(child, package)


def _absolute(node: ast.ImportFrom, package: str) -> str:
    if not node.level:
        return node.module or ""
    base = package.split(".")[: len(package.split(".")) - node.level + 1]
    return ".".join([*base, *([node.module] if node.module else [])])


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def web_framework_path(module: Module) -> list[str] | None:
    """The chain of imports by which ``module`` loads FastAPI or Starlette, or None."""
    known = modules()
    seen: set[str] = set()

    def walk(name: str, chain: list[str]) -> list[str] | None:
        if name.split(".")[0] in WEB_FRAMEWORKS:
            return chain
        if name in seen or name not in known:
            return None
        seen.add(name)
        mod = known[name]
        package = name if mod.path.name == "__init__.py" else name.rpartition(".")[0]
        for imported in _runtime_imports(_tree(mod.path), package):
            target = imported if imported.split(".")[0] in WEB_FRAMEWORKS else _owner(imported)
            if target and (found := walk(target, [*chain, imported])):
                return found
        return None

    def _owner(imported: str) -> str | None:
        parts = imported.split(".")
        while parts and ".".join(parts) not in known:
            parts.pop()
        return ".".join(parts) or None

    return walk(module.name, [module.name])


def inner_modules_reaching_web() -> dict[str, list[str]]:
    """Domain and service-layer modules of the services that load a web framework, with how."""
    found: dict[str, list[str]] = {}
    for module in service_modules():
        if module.layer and (chain := web_framework_path(module)):
            found[module.name] = chain
    return found


def long_functions(limit: int = LONG_FUNCTION_LINES) -> list[LongFunction]:
    found = []
    for module in service_modules():
        for node in ast.walk(_tree(module.path)):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                lines = (node.end_lineno or node.lineno) - node.lineno + 1
                if lines > limit:
                    found.append(LongFunction(module.path, node.name, lines))
    return sorted(found, key=lambda f: -f.lines)


def untyped_document_count() -> int:
    return sum(len(UNTYPED.findall(m.path.read_text(encoding="utf-8"))) for m in service_modules())


def largest_files(count: int = 5) -> list[tuple[Path, int]]:
    sized = [
        (m.path, len(m.path.read_text(encoding="utf-8").splitlines())) for m in modules().values()
    ]
    return sorted(sized, key=lambda item: -item[1])[:count]
