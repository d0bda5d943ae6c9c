"""Privacy machinery: audit log, consent ledger, purpose gate, restrictions and objections,
rights requests, export, erasure and retention."""
