"""Developer aid: write the next Alembic revision from the models.

Usage: python scripts/new_migration.py "add device groups"

It migrates a scratch SQLite database to the current head, compares it with the
models, and writes `NNNN_<slug>.py` with the next sequential revision id. Review
the result: autogenerate cannot see renames, and PostgreSQL-only DDL (partitions)
is written by hand.
"""

from __future__ import annotations

import re
import subprocess
import sys
import tempfile
from pathlib import Path

from alembic import command

from trackguard.store import migrate
from trackguard.store.engine import Database


def main(message: str) -> None:
    versions = migrate.MIGRATIONS / "versions"
    numbers = [int(p.name[:4]) for p in versions.glob("[0-9][0-9][0-9][0-9]_*.py")]
    revision = f"{max(numbers, default=0) + 1:04d}"
    slug = re.sub(r"[^a-z0-9]+", "_", message.lower()).strip("_")
    with tempfile.TemporaryDirectory() as scratch:
        db = Database.from_url(f"sqlite:///{Path(scratch) / 'scratch.db'}")
        migrate.upgrade(db)
        config = migrate._config()
        with db.engine.begin() as connection:
            config.attributes["connection"] = connection
            command.revision(config, message=message, autogenerate=True, rev_id=revision)
        db.dispose()
    for path in versions.glob(f"{revision}_*.py"):
        target = versions / f"{revision}_{slug}.py"
        path.rename(target)
        # Alembic writes long lines; make the revision look like the rest of the code.
        ruff = [sys.executable, "-m", "ruff"]
        subprocess.run([*ruff, "check", "--fix", "--quiet", str(target)], check=False)
        subprocess.run([*ruff, "format", "--quiet", str(target)], check=False)
        print(f"wrote {target}")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
