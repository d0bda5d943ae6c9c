"""trackguard: a GPS-tracker platform whose privacy statement is executable."""

__version__ = "0.1.0"
