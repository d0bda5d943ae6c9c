"""Password reset for customers: a signed, one-hour, single-use link by e-mail (no table),
then a new argon2 password and every session ended.

| module | job |
|---|---|
| `tokens` | issuing and checking the signed links (pure) |
| `flow` | sending a link, checking it, setting the new password (database, mail, audit) |
| `routes`, `texts` | the two forms and their pages (nl/en) |
"""

from trackguard.web.password_reset.routes import router

__all__ = ["router"]
