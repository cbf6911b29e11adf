"""Backends, the cycle engine, state store, daemon loop, config and command line."""
