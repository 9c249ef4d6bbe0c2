"""REST API (the original connector's wire contract, plus search and direct packages)."""

from .errors import ApiError, install_error_handlers
from .routes import Services, build_router

__all__ = ["ApiError", "Services", "build_router", "install_error_handlers"]
