"""Translation catalogs: one module per language, a dict keyed by the English string."""
