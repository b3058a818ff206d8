"""The endpoint profiles of :class:`~chattui.core.services.Services`: which endpoint (URL,
proxy, key, model) a conversation talks to, its key, and its client.

A part of ``Services`` (``services.endpoints``): the profiles come from the current settings,
the keys from the environment, the credentials file or a key command (see
:mod:`chattui.core.profiles`).
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Mapping
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

from chattui.core.config import Settings
from chattui.core.models import Conversation
from chattui.core.paths import Paths
from chattui.core.problems import Problem
from chattui.core.profiles import Endpoint, key_help, key_origin, resolve_endpoint
from chattui.core.secrets import KeyCommands, KeyPending, KeySource, ResolvedKey, export_secrets

if TYPE_CHECKING:
    from chattui.core.client import ChatClient

__all__ = ["EndpointProfiles"]


class EndpointProfiles:
    """Endpoints by profile, their keys and clients (cached until the settings change).

    ``Services`` owns one and keeps its :attr:`settings` current (see
    :meth:`Services.update`).
    """

    def __init__(
        self,
        paths: Paths,
        settings: Settings,
        key: ResolvedKey,
        overrides: Mapping[str, object],
        environ: Mapping[str, str] | None,
        commands: KeyCommands,
    ) -> None:
        self.paths = paths
        self.settings = settings
        """The current settings (the profiles are read from them)."""
        self.key = key
        """The default endpoint's key."""
        self.overrides = overrides
        """The settings given on the command line (a ``model`` there wins over a profile's)."""
        self.environ = environ
        """Where keys are looked up (None: ``os.environ``)."""
        self.commands = commands
        """The key commands' outputs (run once; by a worker when deferring)."""
        self._endpoints: dict[str, Endpoint] = {}
        self._clients: dict[str, ChatClient | None] = {}

    def reset(self) -> None:
        """Forget the endpoints resolved so far (the settings changed: read them again)."""
        self._endpoints = {}
        self.key = self.endpoint().key

    def keep(self, endpoint: Endpoint) -> None:
        """Cache ``endpoint``, resolved elsewhere (at start-up), unless its key is pending."""
        if not endpoint.key.pending:
            self._endpoints[endpoint.profile] = endpoint

    def forget_clients(self) -> None:
        """Drop the cached clients (they are made again with the current settings)."""
        self._clients = {}

    @property
    def has_key(self) -> bool:
        """Whether the default endpoint can be used (a key, or a local server that needs none)."""
        return self.endpoint().ready

    @property
    def key_source(self) -> KeySource:
        """Where the default endpoint's key comes from."""
        return self.key.source

    @property
    def default_profile(self) -> str:
        """The default profile's name ("" when none is set, or it is not defined)."""
        name = self.settings.profile
        return name if name in self.settings.profiles else ""

    def missing_profile(self, name: str) -> Problem | None:
        """Why ``name`` (asked for on the command line) is not a profile; None if it is one,
        or is empty."""
        profiles = self.settings.profiles
        if not name or name in profiles:
            return None
        defined = ", ".join(sorted(profiles)) or Problem("config.none")
        values = {"name": name, "file": str(self.paths.config_file), "defined": defined}
        return Problem("config.profile.unknown", values)

    def profile_of(self, conversation: Conversation | None) -> str:
        """The profile a conversation uses: its own if still defined, else the default."""
        name = conversation.params.get("profile") if conversation is not None else None
        if isinstance(name, str) and (name == "" or name in self.settings.profiles):
            return name  # "": the conversation chose the top-level settings
        return self.default_profile

    def endpoint(self, profile: str | None = None) -> Endpoint:
        """The endpoint (and key) of ``profile``; None: the default one. Cached until the
        settings change (not while its key is pending)."""
        name = self.default_profile if profile is None else profile
        endpoint = self._endpoints.get(name)
        if endpoint is None:
            env = os.environ if self.environ is None else self.environ
            endpoint = resolve_endpoint(
                self.settings, name, self.paths.credentials_file, env, self.commands
            )
            if not endpoint.key.pending:
                self._endpoints[name] = endpoint
        return endpoint

    def endpoint_for(self, settings: Settings) -> Endpoint:
        """The default endpoint of ``settings`` (e.g. the settings form's, not saved yet)."""
        env = os.environ if self.environ is None else self.environ
        return resolve_endpoint(
            settings, settings.profile, self.paths.credentials_file, env, self.commands
        )

    def key_command_of(self, settings: Settings) -> str:
        """The command the default endpoint of ``settings`` takes its key from ("" when its
        key comes from elsewhere, e.g. the environment); nothing is run."""
        asked: list[str] = []

        def record(command: str) -> str:
            asked.append(command)
            raise KeyPending(command)

        env = os.environ if self.environ is None else self.environ
        resolve_endpoint(settings, settings.profile, self.paths.credentials_file, env, record)
        return asked[0] if asked else ""

    def run_key_commands(self) -> list[Problem]:
        """Run the key commands that pending keys wait for (slow: call it in a worker
        thread, then :meth:`keys_changed` on the UI thread); why the failed ones failed."""
        return self.commands.run_pending()

    def keys_changed(self) -> None:
        """Take the keys the key commands gave (call on the UI thread after they ran)."""
        self._endpoints = {
            name: endpoint for name, endpoint in self._endpoints.items() if endpoint.ready
        }
        self._clients = {name: client for name, client in self._clients.items() if client}
        self.key = self.endpoint().key

    def settings_for(self, conversation: Conversation | None) -> Settings:
        """The settings with the conversation's endpoint (URL, proxy, timeout, model)."""
        endpoint = self.endpoint(self.profile_of(conversation))
        if not endpoint.profile:
            return self.settings
        return dataclasses.replace(
            self.settings,
            base_url=endpoint.base_url,
            proxy=endpoint.proxy,
            timeout=endpoint.timeout,
            # A model named on the command line wins over the profile's default.
            model=self.settings.model if "model" in self.overrides else endpoint.model,
        )

    def can_send(self, conversation: Conversation | None) -> bool:
        """Whether the conversation's endpoint has a key or needs none."""
        return self.endpoint(self.profile_of(conversation)).ready

    def pin_profile(self, conversation: Conversation) -> None:
        """Record the profile in a conversation that has none yet (its first send)."""
        if "profile" not in conversation.params and self.default_profile:
            conversation.params["profile"] = self.default_profile

    def client_for(self, conversation: Conversation | None) -> ChatClient | None:
        """The (cached) client of the conversation's endpoint; None without a needed key."""
        name = self.profile_of(conversation)
        if name not in self._clients:
            client = self.make_client(name)
            if client is None and self.endpoint(name).key.pending:
                return None  # asked again once the key command has run
            self._clients[name] = client
        return self._clients[name]

    def export_secrets(self) -> list[str]:
        """The keys an export must never contain (:func:`~chattui.core.secrets.export_secrets`),
        with the keys resolved so far, key commands' outputs included."""
        env = os.environ if self.environ is None else self.environ
        held = [self.key.key, *(endpoint.key.key for endpoint in self._endpoints.values())]
        return export_secrets(self.settings, self.paths.credentials_file, env, held)

    def make_client(self, profile: str | None = None) -> ChatClient | None:
        """A client for an endpoint (default: the default one); imports ``openai``: call off
        the UI thread's critical path, or after the first frame."""
        endpoint = self.endpoint(profile)
        if not endpoint.ready:
            return None
        from chattui.core.client import endpoint_client

        return endpoint_client(endpoint, endpoint.key.key)

    def secrets(self) -> list[str]:
        """The key and the proxy password, for the debug log to mask."""
        found = [self.key.key.reveal()] if self.key.key is not None else []
        password = urlsplit(self.settings.proxy).password if self.settings.proxy else None
        if password:
            found.extend({password, unquote(password)})
        return found

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

    def key_origin(self, profile: str | None = None) -> Problem | None:
        """Where the key of ``profile`` (None: the default endpoint) came from, naming the
        profile's own source; None for the top-level endpoint's key, or no key."""
        endpoint = self.endpoint(profile)
        if endpoint.key.key is None:  # e.g. its command failed
            return None
        file = self.paths.credentials_file
        return key_origin(self.settings, endpoint.profile, endpoint.key.source, file)

    def key_help(self, profile: str | None = None) -> Problem | None:
        """Where the key of ``profile`` (None: the default endpoint) is looked for, for a user
        without one; None for the top-level endpoint (OPENAI_API_KEY and the rest)."""
        name = self.default_profile if profile is None else profile
        return key_help(self.settings, name, self.paths.credentials_file)

    def key_pending_for(self, conversation: Conversation | None) -> bool:
        """Whether the conversation's endpoint waits for its key command."""
        return self.endpoint(self.profile_of(conversation)).key.pending
