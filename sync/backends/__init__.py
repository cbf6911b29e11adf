"""Backends: the port every workbook adapter implements, and the adapters (memory, xlsx/, gsheets/)."""
