"""Device protocols: one pure module each (decode, and encode for acks and the simulator)."""
