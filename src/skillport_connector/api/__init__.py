"""REST API (the original connector's wire contract, plus search and direct packages)."""

from .errors import EXCEPTION_HANDLERS, ApiError
from .routes import Services, build_api

__all__ = ["EXCEPTION_HANDLERS", "ApiError", "Services", "build_api"]
