"""The engine's storage: the SQL of sending (`messages`), of delivery reports (`reports`) and of
leases and heartbeats (`leases`). Only the engine uses it; faces read through `core`."""
