"""The layout's one rule (issue #10, ../shared/STYLE.md): imports point down the list of apps, never up,
and the screens on top never import each other. Checked on every import statement of the application code,
including imports inside functions and in migrations (tests may import anything)."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Bottom to top; apps on one level may not import each other.
LEVELS = [
    ("core",),
    ("customers",),
    ("loyalty",),
    ("analytics",),
    ("messaging",),
    ("campaigns",),
    ("api", "cashier", "console"),
]
LEVEL = {app: n for n, apps in enumerate(LEVELS) for app in apps}


def _imported_apps(path: Path, package: str) -> set[str]:
    """The project apps a module imports (absolute and relative imports, at any depth of the code)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: resolve against the module's package
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                found.add(base[0] if base else package.split(".")[0])
            elif node.module:
                found.add(node.module.split(".")[0])
    return found & LEVEL.keys()


def _modules():
    for app in LEVEL:
        for path in sorted((ROOT / app).rglob("*.py")) if (ROOT / app).exists() else []:
            relative = path.relative_to(ROOT)
            if "tests" in relative.parts:
                continue
            yield app, relative, ".".join(relative.with_suffix("").parts[:-1])


@pytest.mark.parametrize(("app", "module", "package"), list(_modules()), ids=lambda v: str(v))
def test_imports_point_down(app, module, package):
    for imported in _imported_apps(ROOT / module, package):
        if imported == app:
            continue
        assert LEVEL[imported] < LEVEL[app], f"{module} imports {imported}, which is not below {app}"


def test_the_check_sees_an_upward_import(tmp_path):
    """The rule would catch a ledger module importing a campaign or a screen."""
    bad = tmp_path / "bad.py"
    bad.write_text("from campaigns.models import Campaign\n\ndef f():\n    from console.views import home\n")
    assert _imported_apps(bad, "loyalty.services") == {"campaigns", "console"}
