"""The archive side: schema and writes, search, export, stats, stories."""
