"""Custom actions: what the assistant does beyond fixed responses."""
