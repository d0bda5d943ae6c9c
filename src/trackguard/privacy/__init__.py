"""Privacy machinery: audit log, and (in later issues) consent, purpose gate, rights, retention."""
