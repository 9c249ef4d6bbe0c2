"""Skillport Connector: an organisation's Claude Skills marketplace on every Claude surface."""

__version__ = "0.1.0"
