"""CLI sub-apps, one module per noun; `trackguard.cli` assembles them."""
