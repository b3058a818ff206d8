"""The app's services in one place: the one door from the UI into the core.

:class:`Services` is composed of parts (the conversation store, the endpoint profiles, the
engine that plans requests and runs turns, the search index, the key commands) and gives the
UI verbs for what it does, each delegating to a part: ``services.send(...)``, not
``services.session.send(...)``.

Built once at start-up by :meth:`Services.load`, which never raises for bad files: every
problem becomes a :class:`~chattui.core.problems.Problem` in :attr:`Services.warnings` for the
UI to word and show.

The full-screen app loads them with ``defer_key_commands``: no ``api_key_command`` runs on the
UI thread; an endpoint whose key needs one has a *pending* key until the UI runs
:meth:`Services.run_key_commands` in a worker and calls :meth:`Services.keys_changed`.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from concurrent.futures import Future
from typing import TYPE_CHECKING

from chattui.core.config import Settings, load_settings, save_settings
from chattui.core.endpoints import EndpointProfiles
from chattui.core.engine import Engine, Events
from chattui.core.models import Conversation, Message
from chattui.core.paths import Paths
from chattui.core.problems import Problem
from chattui.core.profiles import Endpoint
from chattui.core.search import INDEX_NAME, SearchIndex
from chattui.core.secrets import ApiKey, KeyCommands, KeySource, ResolvedKey, save_credentials
from chattui.core.settings import resolve_language
from chattui.core.startup import read_startup
from chattui.core.storage import ConversationStore, ConversationSummary

if TYPE_CHECKING:
    from chattui.core.catalog import ModelInfo
    from chattui.core.client import ChatClient
    from chattui.core.events import ChatRequest
    from chattui.core.planner import BudgetInput
    from chattui.core.session import LiveReply
    from chattui.core.window import Budget

__all__ = ["Services", "resolve_language"]


class Services:
    """Everything the UI needs from the core, created at start-up by :meth:`load`.

    Its parts: :attr:`store` (conversation files), :attr:`endpoints` (profiles, keys,
    clients), :attr:`engine` (the planner and the session, made on first use), :attr:`search`
    and :attr:`commands` (key commands). The UI uses the verbs below, and reads plain data
    (:attr:`settings`, :attr:`paths`...); ``tests/unit/test_boundary.py`` pins the list of
    what ``chattui.ui`` uses (``UI_USES``), so that the core's API grows only on purpose.
    """

    def __init__(
        self,
        paths: Paths,
        settings: Settings,
        store: ConversationStore,
        key: ResolvedKey,
        overrides: Mapping[str, object] | None = None,
        environ: Mapping[str, str] | None = None,
        commands: KeyCommands | None = None,
    ) -> None:
        self.paths = paths
        self.store = store
        """The conversation files (a part)."""
        self.overrides: Mapping[str, object] = overrides or {}
        """The settings given on the command line."""
        self.environ = environ
        """The environment given to :meth:`load` (None: ``os.environ``); keys resolve in it."""
        self.commands = KeyCommands() if commands is None else commands
        """The outputs of the key commands (run once; by a worker when deferring)."""
        self.endpoints = EndpointProfiles(
            paths, settings, key, self.overrides, environ, self.commands
        )
        """Endpoints by profile, their keys and clients (a part)."""
        self.engine = Engine(store, self.endpoints)
        """The planner and the session, made on first use (a part)."""
        self.search: SearchIndex | None = None
        """The full-text index, told of every save; :meth:`start_search` starts it."""
        self.warnings: list[Problem] = []
        """Problems found while loading (bad config, corrupt files), shown once by the UI."""
        self.fatal: Problem | None = None
        """A problem that stops conversations from being saved (e.g. data dir is a file)."""
        self.adopted: set[str] = set()
        """Conversations already switched to the command line's model in this run."""

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
        start = read_startup(overrides, environ, defer_key_commands)
        paths, settings, store, key = start.paths, start.settings, start.store, start.endpoint.key
        services = cls(paths, settings, store, key, overrides, environ, start.commands)
        services.engine.token_helper = token_helper  # (the planner is not made yet)
        services.warnings = start.warnings
        if settings.models or settings.context_window is not None:
            warning = services.engine.planner.warning
            if warning:
                services.warnings.append(warning)
        services.fatal = start.fatal
        services.search = SearchIndex(paths.cache_dir / INDEX_NAME, paths.conversations_dir)
        store.listeners.append(services.search)
        services.endpoints.keep(start.endpoint)
        return services

    # -- settings --------------------------------------------------------------------------------

    @property
    def settings(self) -> Settings:
        """The current settings (:meth:`remember` and :meth:`update` change them)."""
        return self.endpoints.settings

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
        self.engine.planner.configure(settings)
        self.endpoints.reset()
        self.connect()
        return note

    def _save(self, settings: Settings) -> Problem | None:
        """Write ``settings`` to config.toml and make them current; a note if a broken file
        was kept aside."""
        self.paths.ensure(self.paths.config_dir)
        kept = save_settings(self._file_settings(settings), self.paths.config_file)
        self.endpoints.settings = settings
        return Problem("config.kept", {"name": kept.name}) if kept else None

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

    def start_log(self) -> None:
        """Start the debug log if ``log_level`` (or ``--debug``) asks for one (once, at
        start-up)."""
        if not self.settings.log_level:
            return  # the log module (its patterns compile on import) is not even loaded
        from chattui.core.logs import start_logging

        problem = start_logging(
            self.paths.log_file, self.settings.log_level, self.endpoints.secrets
        )
        if problem is not None:
            self.warnings.append(problem)

    # -- conversations (the store; saves and deletes go through the session) ------------------

    def list_conversations(self) -> list[ConversationSummary]:
        """Every conversation's summary, newest first (StorageError: the folder is unreadable)."""
        return self.store.list_conversations()

    def load_conversation(self, conversation_id: str) -> Conversation:
        """Read a conversation's file (StorageError: missing, unreadable or corrupt)."""
        return self.store.load(conversation_id)

    def conversation_size(self, conversation_id: str) -> int:
        """The size in bytes of a conversation's file (OSError: it could not be read)."""
        return self.store.path_for(conversation_id).stat().st_size

    def live_conversation(self, conversation_id: str) -> Conversation | None:
        """The copy in memory of a conversation whose turn runs, if any."""
        return self.engine.live_conversation(conversation_id)

    def is_deleted(self, conversation_id: str) -> bool:
        """Whether the conversation was deleted (its file is gone, or going)."""
        return self.store.is_deleted(conversation_id)

    def store_problems(self) -> list[Problem]:
        """The files the store found broken since last asked (each told once)."""
        problems = list(self.store.problems)
        self.store.problems.clear()
        return problems

    def index_is_big(self) -> bool:
        """Whether listing the conversations is slow enough for a thread."""
        return self.store.index_is_big()

    def library_stamp(self) -> int | None:
        """Changes whenever any process adds, saves or removes a conversation (a stat)."""
        return self.store.directory_stamp()

    def flush_index(self) -> None:
        """Write the store's index now (at exit)."""
        self.store.flush_index()

    def save_soon(
        self, conversation: Conversation, on_failed: Callable[[Problem], object] | None = None
    ) -> Future[int]:
        """Save ``conversation`` in the background; ``on_failed`` hears of a failure."""
        return self.engine.save_soon(conversation, on_failed)

    def delete_conversation(
        self,
        conversation_id: str,
        *,
        keep_out: bool = True,
        on_failed: Callable[[Problem], object] | None = None,
    ) -> Future[int]:
        """Delete a conversation in the background (see ``ChatSession.delete``)."""
        return self.engine.delete(conversation_id, keep_out=keep_out, on_failed=on_failed)

    def adopt(self, conversation: Conversation) -> None:
        """Apply a model named on the command line (``--model``) to a conversation opened in
        this run, over the model chosen for it; once per conversation, so that a model picked
        for it afterwards (details dialog) wins."""
        if "model" in self.overrides and conversation.id not in self.adopted:
            self.adopted.add(conversation.id)
            conversation.model = None  # follow the default, which is the command line's model

    def model_picked(self, conversation_id: str) -> None:
        """A model was picked for the conversation: ``--model`` no longer applies to it."""
        self.adopted.add(conversation_id)

    # -- turns (the engine) ----------------------------------------------------------------------

    def start_session(self) -> bool:
        """Make the planner and the session (right after the first frame: ~20 ms).

        Returns:
            True if budgets can be counted at once (with the token helper: far from the
            window's limit nothing is counted), False if the warm-up loads the tokenizer first.
        """
        _ = self.engine.session
        return self.engine.token_helper

    def warm_up(self) -> None:
        """Load the tokenizer and import the HTTP client (slow: in a thread, after
        :meth:`start_session`; see :meth:`Engine.warm_up`)."""
        self.engine.warm_up()

    def connect(self) -> None:
        """(Re)build the session's client from the current settings."""
        self.engine.connect()

    def connect_if_needed(self) -> None:
        """Build the session's client now if the warm-up has not built it yet."""
        self.engine.connect_if_needed()

    def close(self, timeout: float = 10.0) -> bool:
        """Stop the running turns and wait for the queued saves (see ``ChatSession.close``);
        False if ``timeout`` passed first."""
        return self.engine.close(timeout)

    def live_reply(self, conversation_id: str) -> LiveReply | None:
        """The turn running in the conversation, if any."""
        return self.engine.live_reply(conversation_id)

    def streaming(self, conversation_id: str) -> bool:
        """Whether a turn is running in the conversation."""
        return self.live_reply(conversation_id) is not None

    def send(
        self, conversation: Conversation, text: str, instead_of: Message | None = None
    ) -> Events:
        """Send ``text`` as the next turn, or as an edit of ``instead_of`` (a new branch)."""
        return self.engine.send(conversation, text, instead_of)

    def can_retry(self, conversation: Conversation) -> bool:
        """Whether the last reply can be asked for again (it failed or stopped)."""
        return self.engine.session.can_retry(conversation)

    def retry(self, conversation: Conversation) -> Events:
        """Ask again for the last user turn."""
        return self.engine.retry(conversation)

    def can_continue(self, conversation: Conversation) -> bool:
        """Whether the last reply is unfinished (stopped, cut short, incomplete)."""
        return self.engine.session.can_continue(conversation)

    def continue_reply(self, conversation: Conversation) -> Events:
        """Ask the model to go on with the last, unfinished reply."""
        return self.engine.continue_reply(conversation)

    def regenerate(self, conversation: Conversation, reply: Message) -> Events:
        """Ask again for ``reply``'s turn: the new reply is an alternative of it."""
        return self.engine.regenerate(conversation, reply)

    def budget_input(
        self, conversation: Conversation, editing: Message | None = None
    ) -> BudgetInput:
        """The conversation's part of the prompt's budget (cheap: nothing is counted);
        ``editing``: the earlier prompt being edited (the history ends before it)."""
        return self.engine.budget_input(conversation, editing)

    def count_budget(self, taken: BudgetInput, prompt: str) -> Budget:
        """Where the window goes if ``prompt`` were sent (slow for big texts: any thread)."""
        return self.engine.count_budget(taken, prompt)

    def model_info(self, model: str) -> ModelInfo:
        """What the catalog knows of ``model`` (window, prices)."""
        return self.engine.model_info(model)

    def title_request(self, conversation: Conversation) -> ChatRequest:
        """The request that asks the conversation's endpoint for its title."""
        return self.engine.title_request(conversation, self.settings_for(conversation))

    # -- endpoints and keys ----------------------------------------------------------------------

    @property
    def key(self) -> ResolvedKey:
        """The default endpoint's key."""
        return self.endpoints.key

    @property
    def api_key(self) -> ApiKey | None:
        """The default endpoint's key, if it has one."""
        return self.endpoints.key.key

    @property
    def key_pending(self) -> bool:
        """Whether the default endpoint's key waits for its key command."""
        return self.endpoints.key.pending

    @property
    def key_source(self) -> KeySource:
        """Where the default endpoint's key comes from."""
        return self.endpoints.key_source

    @property
    def has_key(self) -> bool:
        """Whether the default endpoint can be used (a key, or a server that needs none)."""
        return self.endpoints.has_key

    def missing_profile(self, name: str) -> Problem | None:
        """Why ``name`` is not a profile; None if it is one, or is empty."""
        return self.endpoints.missing_profile(name)

    def profile_of(self, conversation: Conversation | None) -> str:
        """The profile a conversation uses: its own if still defined, else the default."""
        return self.endpoints.profile_of(conversation)

    def endpoint(self, profile: str | None = None) -> Endpoint:
        """The endpoint (and key) of ``profile``; None: the default one."""
        return self.endpoints.endpoint(profile)

    def endpoint_for(self, settings: Settings) -> Endpoint:
        """The default endpoint of ``settings`` (e.g. the settings form's, not saved yet)."""
        return self.endpoints.endpoint_for(settings)

    def settings_for(self, conversation: Conversation | None) -> Settings:
        """The settings with the conversation's endpoint (URL, proxy, timeout, model)."""
        return self.endpoints.settings_for(conversation)

    def can_send(self, conversation: Conversation | None) -> bool:
        """Whether the conversation's endpoint has a key or needs none."""
        return self.endpoints.can_send(conversation)

    def key_pending_for(self, conversation: Conversation | None) -> bool:
        """Whether the conversation's endpoint waits for its key command."""
        return self.endpoints.key_pending_for(conversation)

    def client_for(self, conversation: Conversation | None) -> ChatClient | None:
        """The client of the conversation's endpoint; None without a needed key."""
        return self.endpoints.client_for(conversation)

    async def list_models(self, profile: str | None = None) -> list[str]:
        """The model ids of ``profile``'s endpoint (see :meth:`EndpointProfiles.list_models`)."""
        return await self.endpoints.list_models(profile)

    def export_secrets(self) -> list[str]:
        """The keys an export must never contain."""
        return self.endpoints.export_secrets()

    def key_origin(self, profile: str | None = None) -> Problem | None:
        """Where a profile's key came from (see :meth:`EndpointProfiles.key_origin`)."""
        return self.endpoints.key_origin(profile)

    def key_help(self, profile: str | None = None) -> Problem | None:
        """Where a profile's missing key is looked for (see :meth:`EndpointProfiles.key_help`)."""
        return self.endpoints.key_help(profile)

    def key_command_of(self, settings: Settings) -> str:
        """The command the default endpoint of ``settings`` takes its key from ("" if none)."""
        return self.endpoints.key_command_of(settings)

    def defer_key_commands(self) -> None:
        """From now on key commands run in workers only (the full-screen app)."""
        self.commands.defer = True

    def has_key_from(self, command: str) -> bool:
        """Whether ``command`` ran and gave a key (kept for this run)."""
        return self.commands.kept(command)

    def run_key_command(self, command: str) -> None:
        """Run ``command`` for its key (slow: in a thread; KeyError_ if it failed)."""
        self.commands.run(command)

    def forget_key_command_failures(self) -> None:
        """Let the key commands that failed run again."""
        self.commands.forget_failures()

    def run_key_commands(self) -> list[Problem]:
        """Run the key commands pending keys wait for (slow: in a worker thread, then
        :meth:`keys_changed` on the UI thread); why the failed ones failed."""
        return self.endpoints.run_key_commands()

    def keys_changed(self) -> None:
        """Take the keys the key commands gave (on the UI thread, after they ran)."""
        self.endpoints.keys_changed()

    # -- search ----------------------------------------------------------------------------------

    def start_search(self) -> None:
        """Start the full-text index (in its own thread, after the first frame)."""
        if self.search is not None:
            self.search.start()

    def search_progress(self) -> tuple[int, int] | None:
        """(files done, files to do) while the search index reads files, else None."""
        status = self.search.status if self.search is not None else None
        return (status.done, status.total) if status is not None and status.indexing else None

    def close_search(self, timeout: float = 2.0) -> None:
        """Stop the full-text index (at exit)."""
        if self.search is not None:
            self.search.close(timeout=timeout)
