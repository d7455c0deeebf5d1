"""`alembic upgrade head`, callable from Python: what `pasok migrate` and `pasok up` run."""

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from alembic import command
from alembic.config import Config


def alembic_ini() -> Path:
    """alembic.ini at the top of the repository: beside `src/` in a checkout (editable
    install), or in the working directory where the image copies the project (/app)."""
    for folder in (Path(__file__).resolve().parents[2], Path.cwd()):
        if (folder / "alembic.ini").is_file():
            return folder / "alembic.ini"
    raise RuntimeError("alembic.ini not found; run from the project folder")


def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrate the database at `database_url` to `revision`."""
    config = Config(str(alembic_ini()))
    # ConfigParser reads "%" as interpolation; a password may contain one.
    config.set_main_option("sqlalchemy.url", database_url.replace("%", "%%"))
    # alembic/env.py calls asyncio.run, which refuses to run inside a running event loop;
    # a thread of its own lets async callers (tests, the demo seeding) migrate too.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(command.upgrade, config, revision).result()
