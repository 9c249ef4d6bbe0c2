"""The command line for people: sign in to a connector, then list, search, install and
update skills from a terminal, and register the connector's marketplace with Claude Code.

A client of the REST API and the OAuth server over HTTP (httpx), like any other: it uses
no server internals. ``skillport-connector init`` (an administrator's command, the new skills
repository) lives here too, in :mod:`.scaffold`.
"""
