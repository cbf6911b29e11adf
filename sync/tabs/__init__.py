"""Generated tabs (Dashboard, Rule check) and the report."""
