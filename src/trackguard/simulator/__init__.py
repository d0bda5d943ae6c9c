"""Simulated trackers: realistic tracks driven over the real protocols against a server."""
