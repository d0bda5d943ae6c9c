"""Deterministic, realistic demo data: `generate` makes plain values, `seed` writes them."""
