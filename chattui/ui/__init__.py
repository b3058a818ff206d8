"""The Textual user interface (imports the core, never the reverse)."""
