"""Tracking: devices, positions, bad-fix filters, trips and stops, geofences, anti-theft."""
