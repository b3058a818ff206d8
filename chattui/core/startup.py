"""What :meth:`Services.load <chattui.core.services.Services.load>` reads at start-up: the
paths, the settings, the default endpoint and its key, and the conversation store, with the
problems found on the way (never raised: each becomes a
:class:`~chattui.core.problems.Problem` for the UI to word and show)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from chattui.core.config import Settings, load_settings
from chattui.core.paths import Paths, PathsError
from chattui.core.problems import Problem, ProblemError, as_problem
from chattui.core.profiles import Endpoint, resolve_endpoint
from chattui.core.secrets import KeyCommands
from chattui.core.storage import ConversationStore, StorageError

__all__ = ["Startup", "read_startup"]


@dataclass
class Startup:
    """What start-up read."""

    paths: Paths
    settings: Settings
    endpoint: Endpoint
    """The default endpoint, with its key (pending if its key command was deferred)."""
    store: ConversationStore
    commands: KeyCommands
    warnings: list[Problem]
    """Problems found while reading (bad config, a missing profile, no key)."""
    fatal: Problem | None
    """A problem that stops conversations from being saved (e.g. data dir is a file)."""


def read_startup(
    overrides: Mapping[str, object] | None,
    environ: Mapping[str, str] | None,
    defer_key_commands: bool,
) -> Startup:
    """Read settings and the default endpoint's key, and prepare the conversation store (see
    :meth:`Services.load <chattui.core.services.Services.load>`)."""
    env = os.environ if environ is None else environ
    commands = KeyCommands(defer=defer_key_commands)
    paths = Paths.discover(env)
    loaded = load_settings(paths.config_file, env, overrides)
    warnings = list(loaded.warnings)
    settings = loaded.settings
    if settings.profile and settings.profile not in settings.profiles:
        defined = ", ".join(sorted(settings.profiles)) or Problem("config.none")
        warnings.append(
            Problem(
                "config.profile.missing",
                {
                    "file": str(paths.config_file),
                    "name": repr(settings.profile),
                    "defined": defined,
                },
            )
        )
    endpoint = resolve_endpoint(settings, settings.profile, paths.credentials_file, env, commands)
    if endpoint.key.error:
        warnings.append(as_problem(endpoint.key.error))
    store = ConversationStore(paths.conversations_dir)
    fatal = None
    try:
        paths.ensure(paths.data_dir)
        store.prepare()
    except (PathsError, StorageError) as error:
        reason = error.problem if isinstance(error, ProblemError) else str(error)
        fatal = Problem("files.no_saving", {"error": reason})
    return Startup(paths, settings, endpoint, store, commands, warnings, fatal)
