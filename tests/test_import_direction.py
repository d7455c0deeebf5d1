"""Dependencies run one way: `workers` (the worker process and its jobs) sits above `panel`,
and within `panel` the domains sit below the surfaces that speak to the outside (the web
panel, API v2, `/v1`, `/admin/v1`). Read from the source's own imports, so a new module that
reaches the wrong way fails here before anyone builds on it."""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
DOMAINS = (
    "accounts",
    "brands",
    "catalogue",
    "currencies",
    "growth",
    "keys",
    "ledger",
    "orders",
    "payments",
    "pricing",
    "providers",
    "reports",
    "support",
    "webhooks",
)
SURFACES = ("panel.web", "panel.api_v2", "panel.v1", "panel.admin")


def _imports(path: Path) -> set[str]:
    """Every module a file imports, at the top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def _within(module: str, packages: tuple[str, ...] | str) -> bool:
    wanted = (packages,) if isinstance(packages, str) else packages
    return any(module == p or module.startswith(p + ".") for p in wanted)


def test_nothing_in_panel_imports_the_worker() -> None:
    wrong = {
        f"{path.relative_to(SRC)} imports {module}"
        for path in (SRC / "panel").rglob("*.py")
        for module in _imports(path)
        if _within(module, "workers")
    }
    assert wrong == set()


def test_no_domain_imports_the_web_panel_or_a_protocol() -> None:
    wrong = {
        f"{path.relative_to(SRC)} imports {module}"
        for domain in DOMAINS
        for path in (SRC / "panel" / domain).rglob("*.py")
        for module in _imports(path)
        if _within(module, SURFACES)
    }
    assert wrong == set()
    # The walk reads real packages: every domain is there, with modules in it.
    assert all(list((SRC / "panel" / domain).glob("*.py")) for domain in DOMAINS)


# The modules that put a process together: they import everything by design.
ASSEMBLY = ("app", "cli", "demo")


def test_no_plumbing_module_imports_a_domain() -> None:
    """The modules at the top of `panel` (the database, the queue, the runtime, the read cache,
    logs, limits, ...) serve every domain and know none: a domain plugs in
    (`Runtime.part`, `ReadCache.kept`)."""
    plumbing = [
        path for path in (SRC / "panel").glob("*.py") if path.stem not in ("__init__", *ASSEMBLY)
    ]
    domains = tuple(f"panel.{domain}" for domain in DOMAINS)
    wrong = {
        f"{path.relative_to(SRC)} imports {module}"
        for path in plumbing
        for module in _imports(path)
        if _within(module, domains)
    }
    assert wrong == set()
    assert len(plumbing) > 20
