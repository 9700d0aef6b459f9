"""The revisions, one per resource as the template writes them, then your own."""
