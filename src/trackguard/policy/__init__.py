"""The privacy policy: one YAML file that is the statement, the register and the schema.

`load_policy(path)` reads and validates it; `check` compares it with the database
models; `render_statement`, `ropa` and `datamap` write it out for people and tools.
"""

from trackguard.policy.loader import load_policy, packaged_policy_path, parse_policy
from trackguard.policy.model import Policy
from trackguard.policy.period import Period

__all__ = ["Period", "Policy", "load_policy", "packaged_policy_path", "parse_policy"]
