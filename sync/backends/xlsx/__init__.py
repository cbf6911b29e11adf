"""The xlsx backend."""
