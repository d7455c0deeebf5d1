"""Dependencies run one way: `workers` (the worker process and its jobs) sits above `panel`,
and within `panel` the domains sit below the surfaces that speak to the outside (the web
panel, API v2, `/v1`, `/admin/v1`). Read from the source's own imports, so a new module that
reaches the wrong way fails here before anyone builds on it."""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
DOMAINS = (
    "accounts",
    "action_log",
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


def test_no_plumbing_module_imports_a_domain() -> None:
    """`panel.plumbing` (the database, the queue, the runtime, the read cache, logs, limits, the
    processes, ...) serves every domain and knows none: a domain plugs in (`Runtime.part`,
    `ReadCache.kept`). Besides the domains, the top of `panel` holds only what puts a process
    together (the app, the command, the demo) and the values every part shares."""
    plumbing = list((SRC / "panel" / "plumbing").rglob("*.py"))
    domains = tuple(f"panel.{domain}" for domain in DOMAINS)
    wrong = {
        f"{path.relative_to(SRC)} imports {module}"
        for path in plumbing
        for module in _imports(path)
        if _within(module, domains)
    }
    assert wrong == set()
    assert len(plumbing) > 20
    top = {path.stem for path in (SRC / "panel").glob("*.py")}
    assert top == {"__init__", "app", "cli", "demo", "config", "errors", "money", "openapi"}


def test_the_sandbox_stands_apart() -> None:
    """The sandbox provider, gateway and prepaid provider are a product of their own, used by
    the command and the tests: the panel's code never imports them, and they take from the
    panel only how money is rounded and written."""
    allowed = ("panel.money", "panel.currencies.money_text")
    wrong = {
        f"{path.relative_to(SRC)} imports {module}"
        for path in (SRC / "sandbox").rglob("*.py")
        for module in _imports(path)
        # `from panel import money` names the package too; `panel.money.x` is within allowed.
        if _within(module, "panel")
        and module not in ("panel", "panel.currencies")
        and not _within(module, allowed)
    }
    assert wrong == set()
    users = {
        str(path.relative_to(SRC))
        for path in (SRC / "panel").rglob("*.py")
        if any(_within(module, "sandbox") for module in _imports(path))
    }
    assert users == {"panel/cli.py"}
