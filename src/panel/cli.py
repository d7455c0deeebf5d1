"""The `pasok` command: up, init, api, worker, sandbox, migrate, audit."""

import argparse
import asyncio
import json
import os
import re
import signal
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import TYPE_CHECKING, Any, NoReturn

import httpx
from pydantic import ValidationError

from panel.config import Settings, get_settings
from panel.plumbing import embedded, migrations, preflight, supervisor, web_secret

if TYPE_CHECKING:
    from sandbox.gateway import Merchant

READY_TIMEOUT_S = 30.0


Command = Callable[[argparse.Namespace, Settings], int]


def main(argv: list[str] | None = None, *, worker: Command | None = None) -> None:
    """Every `pasok` command. The worker's (`worker`) is given by the program that can start
    it (`workers.command`): the panel does not import the worker that runs its jobs."""
    args = _parser(worker).parse_args(argv)
    if args.data_dir is not None:
        # Before the settings are built: every command, and every child of `up`, reads it there.
        os.environ["PASOK_DATA_DIR"] = str(args.data_dir.expanduser().resolve())
    command: Command = args.command
    try:
        settings = get_settings()
    except ValidationError as error:
        _refuse("a setting is wrong: " + "; ".join(_setting_errors(error)))
    try:
        sys.exit(command(args, settings))
    except preflight.StartError as error:
        _refuse(str(error))


def _refuse(reason: str) -> NoReturn:
    print(f"pasok: {reason}", file=sys.stderr)
    sys.exit(2)


def _setting_errors(error: ValidationError) -> list[str]:
    return [
        f"PASOK_{'__'.join(str(part) for part in e['loc']).upper()}: {e['msg']}"
        for e in error.errors()
    ]


def _parser(worker_command: Command | None = None) -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help="folder of the embedded servers and demo.json (default ./.pasok; env PASOK_DATA_DIR)",
    )
    parser = argparse.ArgumentParser(prog="pasok", description="Pasok reseller panel")
    commands = parser.add_subparsers(required=True, metavar="command")

    up = commands.add_parser(
        "up",
        parents=[common],
        help="run everything here; embedded PostgreSQL and Redis when no URLs are set",
    )
    _listen_options(up)
    up.set_defaults(command=up_command)

    init = commands.add_parser(
        "init",
        parents=[common],
        help="set up a real panel: migrations, the web secret and the first operator, no demo",
    )
    init.add_argument("--email", required=True, help="the first operator's email address")
    init.add_argument("--name", default="Operator", help="its name (default Operator)")
    init.add_argument(
        "--password-file",
        type=Path,
        default=None,
        help="read its password from this file; else PASOK_INIT_PASSWORD, else a prompt on a"
        " terminal, else a one-time link to choose it is printed",
    )
    init.add_argument(
        "--url",
        default="http://127.0.0.1:8000",
        help="the panel's address, for the links printed (default http://127.0.0.1:8000)",
    )
    init.set_defaults(command=init_command)

    api = commands.add_parser("api", parents=[common], help="serve the HTTP API")
    _listen_options(api)
    api.add_argument(
        "--processes",
        type=int,
        default=1,
        help="API processes sharing the port (one Python process uses one core at most)",
    )
    api.set_defaults(command=api_command)

    worker = commands.add_parser("worker", parents=[common], help="run the job worker (arq)")
    worker.set_defaults(command=worker_command or _no_worker)

    sandbox = commands.add_parser(
        "sandbox", help="serve a sandbox upstream provider that speaks API v2 (no database)"
    )
    sandbox.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    sandbox.add_argument("--port", type=int, default=8001, help="port to listen on (default 8001)")
    sandbox.add_argument("--seed", type=int, default=1, help="seed of its randomness")
    sandbox.add_argument(
        "--dialect",
        type=_sandbox_dialect,
        default="standard",
        help="how it writes answers: standard, or one or more variants joined by commas",
    )
    sandbox.add_argument("--key", default=None, help="accept only this API key (default: any)")
    sandbox.add_argument(
        "--currency", default="USD", help="ISO 4217 code it charges in (default USD)"
    )
    sandbox.add_argument(
        "--speed", type=float, default=None, help="units delivered per second (default 10)"
    )
    sandbox.add_argument(
        "--start-delay", type=float, default=None, help="seconds Pending before delivery"
    )
    sandbox.set_defaults(command=sandbox_command, data_dir=None)

    migrate = commands.add_parser("migrate", parents=[common], help="alembic upgrade head")
    migrate.set_defaults(command=migrate_command)

    audit = commands.add_parser(
        "audit",
        parents=[common],
        help="check the ledger's invariants since the last audit; exit 1 on any breach",
    )
    audit.add_argument(
        "--full", action="store_true", help="check the whole history, not what changed since"
    )
    audit.set_defaults(command=audit_command)

    openapi = commands.add_parser(
        "openapi", help="print the OpenAPI document (committed as openapi/openapi.json)"
    )
    openapi.set_defaults(command=openapi_command, data_dir=None)
    return parser


def _listen_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")


# --- pasok api ---------------------------------------------------------------------------------


def api_command(args: argparse.Namespace, settings: Settings) -> int:
    from panel.plumbing import logs, serving

    preflight.port_free(args.host, args.port, "the API", "--port")
    reachable_servers(settings)
    # The API processes read it from the environment that settle() sets.
    web_secret.settle(settings)
    logs.configure(settings.log_level)
    return serving.serve(args.host, args.port, args.processes, settings.log_level)


# --- pasok worker ------------------------------------------------------------------------------


def _no_worker(args: argparse.Namespace, settings: Settings) -> int:
    _refuse("the worker is started by the installed `pasok` command (workers.command)")


def prepare_process(settings: Settings) -> Settings:
    """What every long-running process does first: its servers reachable (or a clear refusal),
    the web secret settled, logs configured."""
    from panel.plumbing import logs

    reachable_servers(settings)
    settings = web_secret.settle(settings)
    logs.configure(settings.log_level)
    return settings


# --- pasok sandbox -----------------------------------------------------------------------------


def sandbox_command(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from panel.plumbing import logs
    from sandbox import create_app

    preflight.port_free(args.host, args.port, "the sandbox", "--port")
    logs.configure(settings.log_level)
    from sandbox.behaviour import Behaviour

    pace = {
        name: value
        for name, value in (("speed", args.speed), ("start_delay_s", args.start_delay))
        if value is not None
    }
    behaviour = Behaviour().changed(pace)
    app = create_app(
        seed=args.seed,
        dialect=args.dialect,
        api_key=args.key,
        currency=args.currency,
        behaviour=behaviour,
        gateway_merchants=_sandbox_merchants(os.environ.get(SANDBOX_MERCHANT_ENV, "")),
    )
    uvicorn.run(app, host=args.host, port=args.port, log_config=None)
    return 0


# The sandbox gateway's merchant, `code:api_key:private_key`, from the environment rather than
# the command line, where every user of the machine could read its keys.
SANDBOX_MERCHANT_ENV = "PASOK_SANDBOX_GATEWAY_MERCHANT"


def _sandbox_merchants(given: str) -> list["Merchant"]:
    from sandbox.gateway import Merchant

    code, _, rest = given.partition(":")
    api_key, _, private_key = rest.partition(":")
    return [Merchant(code, api_key, private_key)] if code and api_key and private_key else []


def _sandbox_dialect(names: str) -> str:
    from sandbox.dialects import Dialect

    try:
        return Dialect.parse(names).name
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


# --- pasok migrate -----------------------------------------------------------------------------


def migrate_command(args: argparse.Namespace, settings: Settings) -> int:
    with _servers(settings) as (database_url, _):
        migrations.upgrade(database_url)
    return 0


# --- pasok init --------------------------------------------------------------------------------

INIT_PASSWORD_ENV = "PASOK_INIT_PASSWORD"
# Long enough to open a terminal and a browser; short, since the link alone is the password.
INIT_LINK_HOURS = 24


def init_command(args: argparse.Namespace, settings: Settings) -> int:
    """A real panel's first start: the schema, the web secret and one operator, into a
    database without accounts, and no demo."""
    # Everything the person must fix is asked and checked before anything is changed.
    email, name = _init_email(args.email), args.name.strip()
    if not 1 <= len(name) <= 200:
        _refuse("--name needs 1 to 200 characters")
    password = _init_password(args.password_file)
    base_url = args.url.rstrip("/")
    if not re.match(r"^https?://[^/\s]+", base_url):
        _refuse("--url must be the panel's address, such as https://panel.example.com")
    with _servers(settings) as (database_url, _):
        migrations.upgrade(database_url)
        made = asyncio.run(_init(database_url, settings, email, name, password))
    kept = (
        "from PASOK_WEB__SECRET"
        if settings.web.secret is not None
        else f"in {web_secret.path(settings)}"
    )
    lines = [
        "",
        "Pasok is set up: no demo data.",
        f"  Operator        #{made['id']} {email}",
    ]
    if password is not None:
        lines.append(f"  Web console     {base_url}/login with that password")
    else:
        lines += [
            f"  Web console     {base_url}/join/{made['link']}",
            f"                  opens once, within {INIT_LINK_HOURS} hours, to choose the password;"
            f" then sign in at {base_url}/login",
        ]
    lines += [
        f"  Operator token  {made['token']}",
        "                  for /admin/v1 (Authorization: Bearer ...); shown only now, keep it",
        f"  Web secret      {kept}; every api and worker process needs the same one",
        "",
        "Next:",
        "  start it        pasok up (this data folder), or pasok api and pasok worker",
        "  more operators  POST /admin/v1/accounts"
        ' {"kind": "operator", "name": "...", "email": "..."},',
        "                  then POST /admin/v1/accounts/{id}/sign-in-link: a link (7 days) with"
        " which they choose a password",
        "",
    ]
    print("\n".join(lines), flush=True)
    return 0


def _init_email(text: str) -> str:
    from pydantic import EmailStr, TypeAdapter

    try:
        return TypeAdapter(EmailStr).validate_python(text.strip()).lower()
    except ValidationError:
        _refuse(f"--email {text!r} is not an email address")


def _init_password(password_file: Path | None) -> str | None:
    """The operator's password: from the file, else the environment, else typed at a
    terminal; None when there is no terminal to ask at, so a one-time link is printed."""
    from panel.accounts.passwords import MIN_LENGTH

    if password_file is not None:
        try:
            # Only the line end an editor adds is dropped; spaces may be part of it.
            password: str | None = password_file.read_text().rstrip("\r\n")
        except OSError as error:
            _refuse(f"--password-file {password_file}: {error.strerror or error}")
    elif os.environ.get(INIT_PASSWORD_ENV):
        password = os.environ[INIT_PASSWORD_ENV]
    elif sys.stdin.isatty():
        import getpass

        password = getpass.getpass("Password for the operator (empty for a one-time link): ")
        if password and getpass.getpass("Again: ") != password:
            _refuse("the two passwords differ")
        password = password or None
    else:
        password = None
    if password is not None and len(password) < MIN_LENGTH:
        _refuse(f"the password needs at least {MIN_LENGTH} characters")
    return password


async def _init(
    database_url: str, settings: Settings, email: str, name: str, password: str | None
) -> dict[str, Any]:
    from datetime import UTC, datetime, timedelta

    from sqlalchemy import select, text

    from panel.accounts import invitations, passwords
    from panel.accounts import service as accounts
    from panel.keys import service as keys
    from panel.models import Account, AccountKind
    from panel.plumbing.db import create_engine, create_sessionmaker, transaction

    engine = create_engine(database_url, pool_size=1)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            # Two inits at once: the second waits here, then finds the first one's operator.
            await session.execute(text("SELECT pg_advisory_xact_lock(hashtext('pasok init'))"))
            if await session.scalar(select(Account.id).limit(1)) is not None:
                raise preflight.StartError(
                    "the database already holds accounts: init only sets up an empty one, and"
                    " changed nothing; add operators with POST /admin/v1/accounts"
                )
            # Made (or read) before the operator is committed: no operator without a secret.
            web_secret.resolve(settings)
            operator = await accounts.create(
                session, kind=AccountKind.operator, name=name, email=email
            )
            made: dict[str, Any] = {
                "id": operator.id,
                "token": (await keys.issue(session, operator, label="init")).plaintext,
            }
            if password is not None:
                await passwords.set_password(session, operator, password)
            else:
                made["link"] = await invitations.password_link(
                    session, operator, datetime.now(UTC), timedelta(hours=INIT_LINK_HOURS)
                )
            return made
    finally:
        await engine.dispose()


# --- pasok openapi -----------------------------------------------------------------------------


def openapi_command(args: argparse.Namespace, settings: Settings) -> int:
    from panel.openapi import document

    print(document(), end="")
    return 0


# --- pasok audit -------------------------------------------------------------------------------


def audit_command(args: argparse.Namespace, settings: Settings) -> int:
    with _servers(settings) as (database_url, redis_url):
        breaches = asyncio.run(_audit(database_url, redis_url, full=args.full))
    return 1 if breaches else 0


async def _audit(database_url: str, redis_url: str, *, full: bool) -> int:
    from datetime import UTC, datetime

    from redis.asyncio import Redis

    from panel.ledger.audit_runner import check
    from panel.plumbing.db import create_engine, create_sessionmaker

    engine = create_engine(database_url, pool_size=1)
    redis = Redis.from_url(redis_url)
    try:
        breaches = await check(create_sessionmaker(engine), redis, datetime.now(UTC), full=full)
        for breach in breaches:
            print(f"BREACH {breach.invariant} {breach.subject}: {breach.detail}")
        print(f"ledger audit: {len(breaches)} breaches" if breaches else "ledger audit: clean")
        return len(breaches)
    finally:
        await redis.aclose()
        await engine.dispose()


# --- pasok up ----------------------------------------------------------------------------------


def up_command(args: argparse.Namespace, settings: Settings) -> int:
    # Ctrl-C, and a service manager's SIGTERM, stop everything; set explicitly because a shell
    # starts background jobs with SIGINT ignored.
    signal.signal(signal.SIGINT, _interrupt)
    signal.signal(signal.SIGTERM, _interrupt)
    uses_embedded = settings.database_url is None or settings.redis_url is None
    # Everything that can refuse the start is checked before anything is changed.
    preflight.data_folder(settings.data_dir)
    with preflight.only_up(settings.data_dir, args.host, args.port):
        # The demo's "Sandbox" provider calls the sandbox on the port after the API's.
        preflight.port_free(args.host, args.port, "the API", "--port")
        preflight.port_free(
            args.host, args.port + 1, "the sandbox provider (the API's port + 1)", "--port"
        )
        reachable_servers(settings)
        return _up(args, settings, uses_embedded)


def _up(args: argparse.Namespace, settings: Settings, uses_embedded: bool) -> int:
    children: list[supervisor.Child] = []
    try:
        database_url, redis_url = embedded.resolve_urls(settings)
        migrations.upgrade(database_url)
        base_url = f"http://{_reachable(args.host)}:{args.port}"
        sandbox_port = args.port + 1
        sandbox_url = f"http://{_reachable(args.host)}:{sandbox_port}/api/v2"
        demo = _demo(
            settings.data_dir, database_url, base_url, args.port, sandbox_url, settings.currency
        )
        # Worked out before the children start, not once they are ready: a Ctrl-C landing in
        # the middle of an import surfaces as the importer's error, not KeyboardInterrupt.
        agency_url = _on_brand_host(base_url)

        env = os.environ | {
            "PASOK_DATABASE_URL": database_url,
            "PASOK_REDIS_URL": redis_url,
            "PASOK_DATA_DIR": str(settings.data_dir),
            "PASOK_WEB__SECRET": web_secret.resolve(settings),
        }
        gateway_url = f"http://{_reachable(args.host)}:{sandbox_port}/tripay"
        if demo is not None and demo.get("gateway"):
            # The demo pays at the sandbox gateway, unless the operator named another.
            env.setdefault(TRIPAY_SANDBOX_ENV, gateway_url)
            merchant = demo["gateway"]
            env[SANDBOX_MERCHANT_ENV] = (
                f"{merchant['merchant_code']}:{merchant['api_key']}:{merchant['private_key']}"
            )
        # One line per process that `up` runs.
        processes = [
            ("api", ["api", "--host", args.host, "--port", str(args.port)]),
            ("worker", ["worker"]),
            # A demo order should finish while the newcomer watches: well within a minute.
            (
                "sandbox",
                ["sandbox", "--host", args.host, "--port", str(sandbox_port)]
                + ["--speed", "200", "--start-delay", "3"]
                + ["--currency", _demo_sandbox_currency(settings.currency)],
            ),
        ]
        for name, arguments in processes:
            # The installed command's own module, which knows every command, the worker's too.
            command = [sys.executable, "-m", "workers.command", *arguments]
            children.append(supervisor.Child(name, command, env))
            children[-1].start()

        _wait_ready(base_url, children)
        if demo is not None and demo.get("gateway"):
            _demo_channels(database_url, env[TRIPAY_SANDBOX_ENV], demo["gateway"])
        if all(child.running for child in children):
            _announce(
                base_url, agency_url, sandbox_url, database_url, redis_url, demo, settings.data_dir
            )
        # Until Ctrl-C: a child that exits is started again (panel.plumbing.supervisor).
        while True:
            time.sleep(0.5)
            for child in children:
                child.tend(time.monotonic())
    except KeyboardInterrupt:
        print("\nstopping", file=sys.stderr)
        return 0
    finally:
        # A second Ctrl-C must not cut the shutdown short and leave servers behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        supervisor.stop_all(children)
        if uses_embedded:
            embedded.stop(settings.data_dir)


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _reachable(host: str) -> str:
    return "127.0.0.1" if host in ("0.0.0.0", "::", "") else host


def _demo_sandbox_currency(panel_currency: str) -> str:
    from panel import demo

    return demo.sandbox_currency(panel_currency)


def _demo(
    data_dir: Path,
    database_url: str,
    base_url: str,
    port: int,
    sandbox_url: str,
    currency: str,
) -> dict[str, Any] | None:
    """The demo credentials: read back from demo.json after the first start, seeded into an
    empty database on the first start, and None for a database that already holds accounts
    (an operator's real panel gets no demo accounts)."""
    path = data_dir / "demo.json"
    if path.exists():
        demo: dict[str, Any] = json.loads(path.read_text())
    else:
        seeded = asyncio.run(_seed(database_url, port, currency))
        if seeded is None:
            return None
        demo = {"base_url": base_url, **seeded}
    # The port may differ from the first start's; the credentials never do.
    demo = {**demo, "base_url": base_url, "sandbox_url": sandbox_url}
    # Only the owner may read it: it holds the operator token and the reseller's key.
    path.touch(mode=0o600)
    path.write_text(json.dumps(demo, indent=2) + "\n")
    return demo


async def _seed(database_url: str, port: int, currency: str) -> dict[str, Any] | None:
    from sqlalchemy import select

    from panel import demo
    from panel.models import Account
    from panel.plumbing.db import create_engine, create_sessionmaker, transaction

    engine = create_engine(database_url, pool_size=1)
    try:
        async with transaction(create_sessionmaker(engine)) as session:
            if await session.scalar(select(Account.id).limit(1)) is not None:
                return None
            return await demo.seed(session, sandbox_port=port + 1, panel_currency=currency)
    finally:
        await engine.dispose()


TRIPAY_SANDBOX_ENV = "PASOK_PAYMENTS__TRIPAY_SANDBOX_URL"


def _demo_channels(database_url: str, tripay_url: str, gateway: dict[str, Any]) -> None:
    """Offer the sandbox gateway's channels (QRIS and the rest) on the demo's gateways; on a
    later start this only refreshes their fees."""
    from panel import demo
    from panel.config import PaymentSettings
    from panel.plumbing.db import create_engine, create_sessionmaker, transaction

    async def run() -> None:
        engine = create_engine(database_url, pool_size=1)
        try:
            async with httpx.AsyncClient(timeout=5) as http:
                async with transaction(create_sessionmaker(engine)) as session:
                    await demo.import_channels(
                        session,
                        gateway.get("tripay_gateway_ids", []),
                        http,
                        PaymentSettings(tripay_sandbox_url=tripay_url),
                    )
        finally:
            await engine.dispose()

    try:
        asyncio.run(run())
    except Exception as exc:  # the demo still runs; only its gateway methods are missing
        print(f"warning: the sandbox gateway's channels were not imported: {exc}", file=sys.stderr)


def _wait_ready(base_url: str, children: list[supervisor.Child]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline and all(c.running for c in children):
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    if all(c.running for c in children):
        print(f"warning: {base_url}/readyz did not answer 200 yet", file=sys.stderr)


def _announce(
    base_url: str,
    agency_url: str,
    sandbox_url: str,
    database_url: str,
    redis_url: str,
    demo: dict[str, Any] | None,
    data_dir: Path,
) -> None:
    lines = [
        "",
        "Pasok is running.",
        f"  API v2          {base_url}/api/v2",
        f"  REST            {base_url}/v1",
        f"  Admin           {base_url}/admin/v1",
        f"  Health          {base_url}/readyz",
        f"  Sandbox         {sandbox_url} (a fake upstream provider)",
        f"  PostgreSQL      {database_url}",
        f"  Redis           {redis_url}",
    ]
    if demo is not None:
        lines += [
            f"  Operator token  {demo['operator_token']}",
            f"  Reseller        #{demo['reseller']['id']}, API key {demo['reseller']['api_key']}",
            f"  Web panel       {base_url}/login as {demo['reseller']['email']} (the operator's"
            " brand)",
            f"  Agency panel    {agency_url}/login as {demo['agency']['email']} (the demo brand)",
            f"  Credentials in  {data_dir / 'demo.json'}",
        ]
    else:
        lines.append("  No demo: the database already held accounts.")
    lines += ["Press Ctrl-C to stop.", ""]
    print("\n".join(lines), flush=True)


def _on_brand_host(base_url: str) -> str:
    """The panel's address under the demo brand's host name."""
    from panel.demo import BRAND_HOST

    return re.sub(r"//[^:/]+", f"//{BRAND_HOST}", base_url, count=1)


def reachable_servers(settings: Settings) -> None:
    """The configured PostgreSQL and Redis answer; embedded ones are checked as they start."""
    if settings.database_url is not None:
        preflight.database(settings.database_url.get_secret_value())
    if settings.redis_url is not None:
        preflight.redis(settings.redis_url.get_secret_value())


@contextmanager
def _servers(settings: Settings) -> Iterator[tuple[str, str]]:
    """The database and Redis URLs for a one-off command. Embedded servers this command had
    to start are stopped again when it ends; ones already running (beside `pasok up`) stay."""
    reachable_servers(settings)
    if settings.database_url is None or settings.redis_url is None:
        preflight.data_folder(settings.data_dir)
    was_running = embedded.running(settings.data_dir)
    urls = embedded.resolve_urls(settings)
    try:
        yield urls
    finally:
        uses_embedded = settings.database_url is None or settings.redis_url is None
        if uses_embedded and not was_running:
            embedded.stop(settings.data_dir)


if __name__ == "__main__":
    main()
