"""chattui: a fast, keyboard-driven terminal chat client for OpenAI-compatible APIs."""

__version__ = "0.1.0"

import logging as _logging

# Records go nowhere unless the debug log is on (never to stderr via logging's last resort).
_logging.getLogger(__name__).addHandler(_logging.NullHandler())
