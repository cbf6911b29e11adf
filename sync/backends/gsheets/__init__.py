"""The gsheets backend."""
