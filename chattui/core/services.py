"""The app's services in one place: paths, settings, the key, the store and the session.

Built once at start-up by :meth:`Services.load`, which never raises for bad files: every
problem becomes a line in :attr:`Services.warnings` for the UI to show.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from chattui.core.config import Settings, load_settings, save_settings
from chattui.core.events import ChatError, ErrorKind
from chattui.core.logs import start_logging
from chattui.core.models import Conversation
from chattui.core.paths import Paths, PathsError
from chattui.core.planner import RequestPlanner
from chattui.core.secrets import (
    ApiKey,
    KeySource,
    ResolvedKey,
    resolve_key,
    save_credentials,
)
from chattui.core.session import ChatSession
from chattui.core.storage import ConversationStore, StorageError

if TYPE_CHECKING:
    from chattui.core.client import ChatClient

__all__ = ["Services", "resolve_language"]


def resolve_language(setting: str, environ: Mapping[str, str] | None = None) -> str:
    """``en`` or ``zh``: the setting, or for ``auto`` the locale's language."""
    if setting in ("en", "zh"):
        return setting
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANGUAGE", "LANG"):
        value = env.get(name, "")
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


@dataclass
class Services:
    """Everything the UI needs from the core, created at start-up."""

    paths: Paths
    settings: Settings
    store: ConversationStore
    session: ChatSession
    key: ResolvedKey
    planner: RequestPlanner
    overrides: Mapping[str, object] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    """Problems found while loading (bad config, corrupt files), shown once by the UI."""
    environ: Mapping[str, str] | None = None
    """The environment given to :meth:`load` (None: ``os.environ``); keys resolve in it."""
    fatal: str | None = None
    """A problem that stops conversations from being saved (e.g. data dir is a file)."""
    adopted: set[str] = field(default_factory=set)
    """Conversations already switched to the command line's model in this run."""

    @classmethod
    def load(
        cls, overrides: Mapping[str, object] | None = None, environ: Mapping[str, str] | None = None
    ) -> Services:
        """Read settings and the key, and prepare the conversation store."""
        env = os.environ if environ is None else environ
        paths = Paths.discover(env)
        loaded = load_settings(paths.config_file, env, overrides)
        warnings = list(loaded.warnings)
        key = resolve_key(paths.credentials_file, loaded.settings.api_key_command, env)
        if key.error:
            warnings.append(key.error)
        store = ConversationStore(paths.conversations_dir)
        fatal = None
        try:
            paths.ensure(paths.data_dir)
            store.prepare()
        except (PathsError, StorageError) as error:
            fatal = f"{error} Conversations cannot be saved until this is fixed."
        planner = RequestPlanner(loaded.settings)
        if planner.warning:
            warnings.append(planner.warning)
        session = ChatSession(store, None, build_request=planner.build)
        services = cls(
            paths, loaded.settings, store, session, key, planner, overrides or {}, warnings
        )
        services.fatal = fatal
        services.environ = environ
        return services

    @property
    def has_key(self) -> bool:
        return self.key.key is not None

    @property
    def key_source(self) -> KeySource:
        return self.key.source

    def make_client(self) -> ChatClient | None:
        """A client for the current settings and key (imports ``openai``: call off the UI
        thread's critical path, or after the first frame)."""
        if self.key.key is None:
            return None
        from chattui.core.client import ChatClient

        return ChatClient(
            self.key.key, self.settings.base_url, self.settings.proxy, self.settings.timeout
        )

    def secrets(self) -> list[str]:
        """The key and the proxy password, for the debug log to mask."""
        found = [self.key.key.reveal()] if self.key.key is not None else []
        password = urlsplit(self.settings.proxy).password if self.settings.proxy else None
        if password:
            found.extend({password, unquote(password)})
        return found

    def start_log(self) -> None:
        """Start the debug log if ``log_level`` (or ``--debug``) asks for one."""
        problem = start_logging(self.paths.log_file, self.settings.log_level, self.secrets)
        if problem:
            self.warnings.append(problem)

    def warm_up(self) -> None:
        """Import the HTTP client and load the model's tokenizer (slow: run in a thread)."""
        import chattui.core.client  # noqa: F401

        with contextlib.suppress(Exception):
            self.planner.counter(self.settings.model).text("warm up")

    def adopt(self, conversation: Conversation) -> None:
        """Apply a model named on the command line (``--model``) to a conversation opened in
        this run, over the model chosen for it; once per conversation, so that a model picked
        for it afterwards (details dialog) wins."""
        if "model" in self.overrides and conversation.id not in self.adopted:
            self.adopted.add(conversation.id)
            conversation.model = None  # follow the default, which is the command line's model

    async def list_models(self) -> list[str]:
        """The endpoint's model ids (``/v1/models``), with the current settings and key.

        Raises:
            ChatError: no key, or the request failed (with a human message).
        """
        client = self.make_client()
        if client is None:
            raise ChatError(ErrorKind.NO_KEY)
        try:
            return await client.list_models()
        finally:
            await client.aclose()

    def connect(self) -> None:
        """(Re)build the session's client from the current settings."""
        self.session.client = self.make_client()

    def _file_settings(self, settings: Settings) -> Settings:
        """What goes into config.toml: the file's values, plus what the user changed.

        A value that came from the environment or the command line and was left alone in the
        form stays a one-off: it is not written into the file.
        """
        on_file = load_settings(self.paths.config_file, environ={}).settings
        changed = {
            item.name: getattr(settings, item.name)
            for item in dataclasses.fields(Settings)
            if getattr(settings, item.name) != getattr(self.settings, item.name)
        }
        return dataclasses.replace(on_file, **changed)

    def update(self, settings: Settings, new_key: ApiKey | None = None) -> str | None:
        """Save ``settings`` (and ``new_key`` to the credentials file), then reconnect.

        Returns a note for the user if a broken config file was kept aside.

        Raises:
            OSError: the config or credentials file could not be written.
        """
        self.paths.ensure(self.paths.config_dir)
        kept = save_settings(self._file_settings(settings), self.paths.config_file)
        if new_key is not None:
            save_credentials(self.paths.credentials_file, new_key)
        self.settings = settings
        self.planner.configure(settings)
        self.key = resolve_key(self.paths.credentials_file, settings.api_key_command, self.environ)
        self.connect()
        return f"The old config file was kept as {kept.name}." if kept else None
