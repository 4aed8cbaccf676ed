"""The layers hold: the core imports no adapter, and no module imports itself in a circle.

Every import counts, also those inside functions and under TYPE_CHECKING: a local import
hides a dependency from the reader, not from the design. The rules are docs/architecture.md.
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "nlp", "storage", "handlers", "doithoai", "reports")
ADAPTERS = ("storage", "handlers", "doithoai", "reports")
# Libraries that belong at the edge: messengers, HTTP, databases, documents.
EDGE_LIBRARIES = ("telegram", "aiohttp", "httpx", "aiosqlite", "sqlite3", "asyncpg", "psycopg",
                  "docx", "openpyxl", "matplotlib")  # fmt: skip
# What each layer may not import (its first dotted part).
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "bot": (*ADAPTERS, *EDGE_LIBRARIES),
    "nlp": ("bot", *ADAPTERS, *EDGE_LIBRARIES),
    "storage": ("handlers", "doithoai", "reports"),
    "handlers": ("storage", "doithoai"),
    "reports": ("storage", "handlers", "doithoai", "telegram", "aiohttp"),
    "doithoai": (),
}


def modules(root: Path) -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((root / package).rglob("*.py")) if (root / package).is_dir() else []:
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            found[".".join(parts)] = path
    return found


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """Everything a module imports, as module names (our submodules resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            for alias in node.names:  # `from bot import texts` imports the module bot.texts
                sub = f"{base}.{alias.name}"
                found.add(sub if sub in known else base)
    return {f for f in found if f and f != "__future__"}


def graph(root: Path) -> dict[str, set[str]]:
    mods = modules(root)
    known = set(mods)
    return {name: imports(name, path, known) for name, path in mods.items()}


def violations(edges: dict[str, set[str]]) -> list[str]:
    found = []
    for module, targets in sorted(edges.items()):
        layer = module.split(".")[0]
        for target in sorted(targets):
            if target.split(".")[0] in FORBIDDEN.get(layer, ()):
                found.append(f"{module} imports {target}")
    return found


def cycles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The circles among our own modules (Tarjan's strongly connected components)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in edges.get(node, ()):
            if nxt not in edges:
                continue
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1 or node in edges.get(node, ()):
                found.append(sorted(component))

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    for node in sorted(edges):
        if node not in index:
            visit(node)
    return found


def test_the_core_imports_no_adapter_and_layers_keep_their_rules() -> None:
    edges = graph(ROOT)
    assert "bot.conversation.engine" in edges and "storage.sqlite" in edges
    assert violations(edges) == []


def test_no_module_imports_itself_in_a_circle() -> None:
    assert cycles(graph(ROOT)) == []


def test_only_the_composition_root_names_the_concrete_store() -> None:
    edges = graph(ROOT)
    users = sorted(m for m, targets in edges.items() if "storage.sqlite" in targets)
    assert users == ["doithoai.app"]


@pytest.mark.parametrize(
    ("files", "expected_violation", "expected_cycle"),
    [
        ({"bot/a.py": "def f():\n    from storage.sqlite import X\n"},
         "bot.a imports storage.sqlite", None),
        ({"bot/a.py": "from bot import b\n", "bot/b.py": "from typing import TYPE_CHECKING\n"
          "if TYPE_CHECKING:\n    from bot.a import A\n"}, None, ["bot.a", "bot.b"]),
        ({"handlers/x/__init__.py": "", "handlers/x/c.py": "from . import d\n",
          "handlers/x/d.py": "from .c import k\n"}, None, ["handlers.x.c", "handlers.x.d"]),
        ({"nlp/m.py": "import telegram.ext\n"}, "nlp.m imports telegram.ext", None),
    ],
)
def test_the_checks_catch_what_they_are_for(
    tmp_path: Path, files: dict[str, str], expected_violation: str | None,
    expected_cycle: list[str] | None,
) -> None:
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    edges = graph(tmp_path)
    assert violations(edges) == ([expected_violation] if expected_violation else [])
    assert cycles(edges) == ([expected_cycle] if expected_cycle else [])
