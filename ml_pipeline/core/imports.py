"""Which project files a module imports, transitively: the code deps of a DVC stage.

Read statically with `ast` (imports inside functions and `if TYPE_CHECKING:` blocks count too),
for the project's own packages only. A package's `__init__.py` counts only when the import
resolves to the package itself (`import pkg`, or `from pkg import name` where `name` is no
submodule), not merely because a submodule of it is imported.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PROJECT_PACKAGES = ("stages", "ml_pipeline")


def module_file(root: Path, module: str) -> str | None:
    """`a/b.py` or `a/b/__init__.py` (relative to `root`) for module `a.b`; None if neither."""
    base = module.replace(".", "/")
    for candidate in (f"{base}.py", f"{base}/__init__.py"):
        if (root / candidate).is_file():
            return candidate
    return None


def _package_of(path: str) -> str:
    """The package a module file belongs to (the package itself for an `__init__.py`)."""
    parts = Path(path).with_suffix("").parts
    return ".".join(parts[:-1])


def _absolute(node: ast.ImportFrom, path: str) -> str:
    """The module a `from ... import` names, relative imports resolved against `path`."""
    if not node.level:
        return node.module or ""
    package = _package_of(path).split(".")
    base = package[: len(package) - (node.level - 1)]
    return ".".join([*base, *([node.module] if node.module else [])])


def imported_modules(root: Path, path: str) -> Iterator[str]:
    """Modules (or packages) the file `path` imports, by dotted name, as written."""
    tree = ast.parse((root / path).read_text(), filename=path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            module = _absolute(node, path)
            for alias in node.names:
                submodule = f"{module}.{alias.name}"
                is_module = alias.name != "*" and module_file(root, submodule) is not None
                yield submodule if is_module else module


def import_closure(
    root: Path, module: str, packages: tuple[str, ...] = PROJECT_PACKAGES
) -> list[str]:
    """Files (relative to `root`, sorted) of `module` and every project module it imports."""
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name.split(".")[0] not in packages:
            continue
        path = module_file(root, name)
        if path is None or path in seen:
            continue
        seen.add(path)
        todo.extend(imported_modules(root, path))
    return sorted(seen)
