"""Textual-free core: config, storage, client, session, tokens, sanitizing."""
