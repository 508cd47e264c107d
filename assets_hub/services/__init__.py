"""Domain logic as plain async functions; routes and the CLI call these."""
