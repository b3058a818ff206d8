"""The app's services in one place: paths, settings, the key, the store and the session.

Built once at start-up by :meth:`Services.load`, which never raises for bad files: every
problem becomes a :class:`~chattui.core.problems.Problem` in :attr:`Services.warnings` for the
UI to word and show.

The full-screen app loads them with ``defer_key_commands``: no ``api_key_command`` runs on the
UI thread; an endpoint whose key needs one has a *pending* key until the UI runs
:meth:`Services.run_key_commands` in a worker and calls :meth:`Services.keys_changed`.
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
from chattui.core.endpoints import EndpointProfiles
from chattui.core.models import Conversation
from chattui.core.paths import Paths, PathsError
from chattui.core.problems import Problem, ProblemError, as_problem
from chattui.core.profiles import Endpoint, resolve_endpoint
from chattui.core.search import INDEX_NAME, SearchIndex
from chattui.core.secrets import (
    ApiKey,
    KeyCommands,
    ResolvedKey,
    save_credentials,
)
from chattui.core.storage import ConversationStore, StorageError

if TYPE_CHECKING:
    from chattui.core.client import ChatClient
    from chattui.core.planner import RequestPlanner
    from chattui.core.session import ChatSession, LiveReply
    from chattui.core.tokenhost import CountTexts

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
class Services(EndpointProfiles):
    """Everything the UI needs from the core, created at start-up."""

    paths: Paths
    settings: Settings
    store: ConversationStore
    key: ResolvedKey
    overrides: Mapping[str, object] = field(default_factory=dict)
    warnings: list[Problem] = field(default_factory=list)
    """Problems found while loading (bad config, corrupt files), shown once by the UI."""
    environ: Mapping[str, str] | None = None
    """The environment given to :meth:`load` (None: ``os.environ``); keys resolve in it."""
    fatal: Problem | None = None
    """A problem that stops conversations from being saved (e.g. data dir is a file)."""
    adopted: set[str] = field(default_factory=set)
    """Conversations already switched to the command line's model in this run."""
    _endpoints: dict[str, Endpoint] = field(default_factory=dict, repr=False)
    _clients: dict[str, ChatClient | None] = field(default_factory=dict, repr=False)
    search: SearchIndex | None = None
    """The full-text index, told of every save; :meth:`SearchIndex.start` starts it."""
    commands: KeyCommands = field(default_factory=KeyCommands, repr=False)
    """The outputs of the key commands (run once; by a worker when deferring)."""
    token_helper: bool = False
    """Count tokens in a helper process (see :mod:`chattui.core.tokenhost`)."""
    _planner: RequestPlanner | None = field(default=None, repr=False)
    _session: ChatSession | None = field(default=None, repr=False)

    @classmethod
    def load(
        cls,
        overrides: Mapping[str, object] | None = None,
        environ: Mapping[str, str] | None = None,
        *,
        defer_key_commands: bool = False,
        token_helper: bool = False,
    ) -> Services:
        """Read settings and the key, and prepare the conversation store.

        With ``defer_key_commands`` no ``api_key_command`` runs here or later on the calling
        thread: keys that need one are pending until :meth:`run_key_commands` (in a worker).
        With ``token_helper`` tokens are counted in a helper process (the full-screen app:
        see :mod:`chattui.core.tokenhost`), else in this one (one-shot commands).

        The planner and the session are built when first used (their modules are not needed
        for the app's first frame), except the planner of settings with ``[models]`` entries
        or a ``context_window``: their problems are found here, with the others.
        """
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
        endpoint = resolve_endpoint(
            settings, settings.profile, paths.credentials_file, env, commands
        )
        key = endpoint.key
        if key.error:
            warnings.append(as_problem(key.error))
        store = ConversationStore(paths.conversations_dir)
        fatal = None
        try:
            paths.ensure(paths.data_dir)
            store.prepare()
        except (PathsError, StorageError) as error:
            reason = error.problem if isinstance(error, ProblemError) else str(error)
            fatal = Problem("files.no_saving", {"error": reason})
        services = cls(
            paths, loaded.settings, store, key, overrides or {}, warnings, token_helper=token_helper
        )
        if settings.models or settings.context_window is not None:
            warning = services.planner.warning
            if warning:
                warnings.append(warning)
        services.fatal = fatal
        services.search = SearchIndex(paths.cache_dir / INDEX_NAME, paths.conversations_dir)
        store.listeners.append(services.search)
        services.environ = environ
        services.commands = commands
        if not key.pending:
            services._endpoints[endpoint.profile] = endpoint
        return services

    @property
    def planner(self) -> RequestPlanner:
        """Builds requests and budgets (made on first use)."""
        if self._planner is None:
            from chattui.core.planner import RequestPlanner
            from chattui.core.tokenhost import TokenHost, count_in_process

            counts: CountTexts = TokenHost() if self.token_helper else count_in_process
            self._planner = RequestPlanner(self.settings, counts)
        return self._planner

    @property
    def session(self) -> ChatSession:
        """Runs turns and saves conversations (made on first use)."""
        if self._session is None:
            from chattui.core.session import ChatSession

            self._session = ChatSession(self.store, None, build_request=self.planner.build)
        return self._session

    def live_reply(self, conversation_id: str) -> LiveReply | None:
        """The turn running in the conversation, if any (the session is not made for this:
        before it is, no turn ran)."""
        return None if self._session is None else self._session.live_reply(conversation_id)

    def streaming(self, conversation_id: str) -> bool:
        """Whether a turn is running in the conversation."""
        return self.live_reply(conversation_id) is not None

    def secrets(self) -> list[str]:
        """The key and the proxy password, for the debug log to mask."""
        found = [self.key.key.reveal()] if self.key.key is not None else []
        password = urlsplit(self.settings.proxy).password if self.settings.proxy else None
        if password:
            found.extend({password, unquote(password)})
        return found

    def start_log(self) -> None:
        """Start the debug log if ``log_level`` (or ``--debug``) asks for one (once, at
        start-up)."""
        if not self.settings.log_level:
            return  # the log module (its patterns compile on import) is not even loaded
        from chattui.core.logs import start_logging

        problem = start_logging(self.paths.log_file, self.settings.log_level, self.secrets)
        if problem is not None:
            self.warnings.append(problem)

    def close(self, timeout: float = 10.0) -> bool:
        """Stop the running turns and wait for the queued saves (see ``ChatSession.close``);
        False if ``timeout`` passed first."""
        return self._session is None or self._session.close(timeout)

    def warm_up(self) -> None:
        """Load the model's tokenizer and import the HTTP client (slow: run in a thread,
        once :attr:`session` was first used on the UI thread: the planner and the session are
        built by the first thread that uses them).

        With a :class:`TokenHost` the helper loads the tokenizer on another core while this
        thread imports ``openai``. In this process the tokenizer comes first: loading it
        briefly holds two copies of its tables (~30 MB more than it keeps), and the process is
        smallest before ``openai`` is imported.
        """

        from chattui.core.tokenhost import TokenHost

        def count() -> None:
            with contextlib.suppress(Exception):  # a broken tokenizer is reported when used
                self.planner.counter(self.settings.model).text("warm up")

        helper = self.planner.counts if isinstance(self.planner.counts, TokenHost) else None
        if helper is not None:
            helper.start()  # it loads the tables while this thread imports openai
        else:
            count()
        import chattui.core.client  # noqa: F401

        if helper is not None:
            count()  # the helper's first answer, once its tables are built

    def adopt(self, conversation: Conversation) -> None:
        """Apply a model named on the command line (``--model``) to a conversation opened in
        this run, over the model chosen for it; once per conversation, so that a model picked
        for it afterwards (details dialog) wins."""
        if "model" in self.overrides and conversation.id not in self.adopted:
            self.adopted.add(conversation.id)
            conversation.model = None  # follow the default, which is the command line's model

    async def list_models(self, profile: str | None = None) -> list[str]:
        """The endpoint's model ids (``/v1/models``), with the current settings and key (of
        ``profile``; None: the default endpoint).

        Raises:
            ChatError: no key, or the request failed (with a human message).
        """
        from chattui.core.events import ChatError, ErrorKind

        client = self.make_client(profile)
        if client is None:
            raise ChatError(ErrorKind.NO_KEY)
        try:
            return await client.list_models()
        finally:
            await client.aclose()

    def connect(self) -> None:
        """(Re)build the session's client from the current settings."""
        self._clients = {}
        self.session.client = self.client_for(None)
        self.session.client_for = self.client_for

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

    def remember(self, **changes: object) -> Problem | None:
        """Change and save a few settings that need no reconnection (e.g. the theme); a note
        if a broken config file was kept aside.

        Raises:
            OSError: config.toml could not be written.
        """
        return self._save(dataclasses.replace(self.settings, **changes))  # type: ignore[arg-type]

    def update(self, settings: Settings, new_key: ApiKey | None = None) -> Problem | None:
        """Save ``settings`` (and ``new_key`` to the credentials file), then reconnect.

        Returns a note for the user if a broken config file was kept aside.

        Raises:
            OSError: the config or credentials file could not be written.
        """
        note = self._save(settings)
        if new_key is not None:
            profile = settings.profile if settings.profile in settings.profiles else ""
            save_credentials(self.paths.credentials_file, new_key, profile)
        self.planner.configure(settings)
        self._endpoints = {}
        self.key = self.endpoint().key
        self.connect()
        return note

    def _save(self, settings: Settings) -> Problem | None:
        """Write ``settings`` to config.toml and make them current; a note if a broken file
        was kept aside."""
        self.paths.ensure(self.paths.config_dir)
        kept = save_settings(self._file_settings(settings), self.paths.config_file)
        self.settings = settings
        return Problem("config.kept", {"name": kept.name}) if kept else None
