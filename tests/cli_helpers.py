"""Running the `trackguard` command in-process, against a test's database and data folder."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from typer.testing import CliRunner, Result

from trackguard.cli import app
from trackguard.settings import Settings

# run("list", "--json") or run("add", ..., stdin="...")
Run = Callable[..., Result]


def cli_env(settings: Settings, **extra: str) -> dict[str, str]:
    """The environment that points the command at `settings`' database and data folder."""
    return {
        "TRACKGUARD_DATABASE_URL": settings.resolved_database_url,
        "TRACKGUARD_DATA_DIR": str(settings.data_dir),
        **extra,
    }


def cli_runner(env: Mapping[str, str], *group: str) -> Run:
    """Runs `trackguard <group...> <args...>` with `env`; `stdin` is fed to its input."""
    runner = CliRunner()

    def run(*args: str, stdin: str | None = None) -> Result:
        return runner.invoke(app, [*group, *args], env=env, input=stdin)

    return run
