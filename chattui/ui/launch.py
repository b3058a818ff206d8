"""Start the full-screen app: load the services, set the language, run."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

__all__ = ["launch"]


def launch(overrides: Mapping[str, object]) -> int:
    """Run the app with command-line ``overrides``; return the exit code."""
    from chattui.core.services import Services, resolve_language
    from chattui.i18n import set_language

    services = Services.load(overrides)
    # The language must be set before the UI modules are imported: their bindings'
    # descriptions are translated when the classes are created.
    set_language(resolve_language(services.settings.language))

    from chattui.ui.app import ChatApp

    app = ChatApp(services)
    app.run()
    services.store.flush_index()
    # Everything is saved by now (workers were cancelled and saved their replies). Skip the
    # interpreter's teardown of openai, tiktoken and the warm-up thread: it takes seconds.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(app.return_code or 0)
