"""Reading a policy file: YAML with line numbers -> pydantic models -> cross-checks.

Whatever is wrong, the error is one `PolicyError` naming the file, the line and
the field, so the person editing the policy knows where to look.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import ValidationError

from trackguard.errors import PolicyError
from trackguard.policy.model import Policy
from trackguard.policy.source import Located, describe, parse_yaml
from trackguard.policy.validate import validate
from trackguard.settings import PACKAGED_POLICY


def packaged_policy_path() -> Path:
    """The policy shipped with trackguard (Conneqtech's statement)."""
    return PACKAGED_POLICY


def load_policy(path: str | Path) -> Policy:
    """Load and validate the policy at `path`; raise PolicyError naming file and line."""
    file = Path(path)
    try:
        text = file.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PolicyError("policy file not found", file=str(file)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise PolicyError(
            f"cannot read policy file ({type(exc).__name__})", file=str(file)
        ) from None
    return parse_policy(text, file=str(file)).with_source(file)


def parse_policy(text: str, *, file: str = "<policy>") -> Policy:
    """Validate policy YAML `text`; `file` is only used to name errors."""
    located = parse_yaml(text, file=file)
    if not isinstance(located.data, dict):
        raise PolicyError("the policy must be a mapping of sections", file=file, line=1)
    try:
        policy = Policy.model_validate(located.data)
    except ValidationError as exc:
        raise _from_validation(exc, located, file) from None
    issues = validate(policy)
    if issues:
        first = issues[0]
        more = f" (and {len(issues) - 1} more problem(s))" if len(issues) > 1 else ""
        raise PolicyError(
            first.message + more,
            file=file,
            line=located.line_of(first.path),
            field=describe(first.path, located.data),
        )
    return policy


def _from_validation(exc: ValidationError, located: Located, file: str) -> PolicyError:
    errors = exc.errors(include_url=False, include_input=False)
    first = errors[0]
    path: tuple[str | int, ...] = tuple(
        p for p in first["loc"] if isinstance(p, int) or _is_name(p)
    )
    kind = first["type"]
    if kind == "missing":
        message = f"missing required field '{path[-1]}'"
    elif kind == "extra_forbidden":
        message = f"unknown key '{path[-1]}'"
    else:
        message = str(first["msg"]).removeprefix("Value error, ")
    if len(errors) > 1:
        message += f" (and {len(errors) - 1} more problem(s))"
    return PolicyError(
        message, file=file, line=located.line_of(path), field=describe(path, located.data)
    )


def _is_name(part: object) -> bool:
    # pydantic adds validator names such as "function-plain[...]" to some locations.
    return isinstance(part, str) and not any(ch in part for ch in "[]()")
