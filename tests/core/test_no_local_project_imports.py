"""Dependencies run one way, at the top of each module: a function-local import of a project app
is a cycle dodged, not a cycle removed (shared/STYLE.md). The only exception is
AppConfig.ready(), which Django calls once models can be imported."""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROJECT_APPS = {"config", "core", "clinic", "scheduling", "messaging", "careplans"}
CHECKED_APPS = ("core", "clinic", "scheduling", "messaging", "careplans")


def _local_project_imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found = []
    for function in ast.walk(tree):
        if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        if path.name == "apps.py" and function.name == "ready":
            continue
        for node in ast.walk(function):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            else:
                continue
            for module in modules:
                if module.split(".")[0] in PROJECT_APPS:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno} {function.name}() imports {module}")
    return found


@pytest.mark.parametrize("app", CHECKED_APPS)
def test_no_function_local_import_of_a_project_app(app):
    files = [p for p in sorted((ROOT / app).rglob("*.py")) if "migrations" not in p.parts]
    assert files
    offenders = [line for path in files for line in _local_project_imports(path)]
    assert not offenders, "\n".join(offenders)
