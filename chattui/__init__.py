"""chattui: a fast, keyboard-driven terminal chat client for OpenAI-compatible APIs."""

__version__ = "0.1.0"
