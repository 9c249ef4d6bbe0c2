"""Catalog engine: marketplace tree in, immutable index of plugins and skills out. No I/O
beyond the :class:`~skillport_connector.sources.tree.Tree` it is given."""

from .catalog import Catalog
from .loader import Limits, load_catalog
from .model import FILTER_SURFACES, SURFACES, Finding, Plugin, Skill, SkillFile, matches_surface

__all__ = [
    "FILTER_SURFACES",
    "SURFACES",
    "Catalog",
    "Finding",
    "Limits",
    "Plugin",
    "Skill",
    "SkillFile",
    "load_catalog",
    "matches_surface",
]
