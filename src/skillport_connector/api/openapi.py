"""A small route table that also writes /openapi.json.

The API is plain Starlette: FastAPI's per-request dependency solving cost about 30 % of
the throughput of the hottest endpoint (a cached skill listing), and the contract is fixed,
so each route declares its documentation next to its handler instead. Shapes come from
the pydantic models in :mod:`.schemas`; a test checks that every route is documented.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..conditional import PRIVATE
from .schemas import ErrorBody

Handler = Callable[[Request], Awaitable[Response]]
REF = "#/components/schemas/{model}"


def query(name: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


@dataclass
class Operation:
    method: str
    path: str
    summary: str
    tags: list[str]
    secured: bool
    ok: type[BaseModel] | str | None  # a model, or a media type for non-JSON bodies
    errors: tuple[int, ...]
    params: list[dict[str, Any]] = field(default_factory=list)
    body: type[BaseModel] | None = None
    #: Answers carry a strong ``ETag`` and ``If-None-Match`` gets a 304.
    conditional: bool = False


class ApiRouter:
    def __init__(self) -> None:
        self.routes: list[Route] = []
        self.operations: list[Operation] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        summary: str,
        tags: list[str],
        ok: type[BaseModel] | str | None,
        errors: tuple[int, ...] = (),
        secured: bool = True,
        params: list[dict[str, Any]] | None = None,
        body: type[BaseModel] | None = None,
        conditional: bool = False,
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(Route(path, handler, methods=[method]))
            self.operations.append(
                Operation(
                    method, path, summary, tags, secured, ok, errors,
                    params=params or [], body=body, conditional=conditional,
                )
            )  # fmt: skip
            return handler

        return register

    def include(self, *others: ApiRouter) -> ApiRouter:
        """Add the routes of ``others`` (one router per resource module), in order."""
        for other in others:
            self.routes.extend(other.routes)
            self.operations.extend(other.operations)
        return self

    def get(self, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        return self.route("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Callable[[Handler], Handler]:
        return self.route("POST", path, **kwargs)

    def openapi(self, *, title: str, version: str, description: str) -> dict[str, Any]:
        components: dict[str, Any] = {}

        def ref(model: type[BaseModel]) -> dict[str, Any]:
            schema = model.model_json_schema(ref_template=REF)
            for name, sub in schema.pop("$defs", {}).items():
                components[name] = sub
            components[model.__name__] = schema
            return {"$ref": REF.format(model=model.__name__)}

        paths: dict[str, Any] = {}
        for op in self.operations:
            responses: dict[str, Any] = {}
            if isinstance(op.ok, str):
                responses["200"] = {"description": "OK", "content": {op.ok: {}}}
            elif op.ok is not None:
                content = {"application/json": {"schema": ref(op.ok)}}
                responses["200"] = {"description": "OK", "content": content}
            for status in (*op.errors, *((401,) if op.secured and 401 not in op.errors else ())):
                responses[str(status)] = {
                    "description": "Error",
                    "content": {"application/json": {"schema": ref(ErrorBody)}},
                }
            spec: dict[str, Any] = {
                "summary": op.summary,
                "tags": op.tags,
                "operationId": _operation_id(op.method, op.path),
                "responses": responses,
            }
            parameters = [
                {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
                for name in _path_params(op.path)
            ] + op.params
            if op.conditional:
                _document_validators(responses, parameters)
            if parameters:
                spec["parameters"] = parameters
            if op.body is not None:
                spec["requestBody"] = {
                    "required": True,
                    "content": {"application/json": {"schema": ref(op.body)}},
                }
            if op.secured:
                spec["security"] = [{"bearerAuth": []}]
            paths.setdefault(op.path, {})[op.method.lower()] = spec
        components_doc: dict[str, Any] = {
            "schemas": dict(sorted(components.items())),
            "securitySchemes": {
                "bearerAuth": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "An sk_api_ token (valid 15 minutes)",
                }
            },
        }
        return {
            "openapi": "3.1.0",
            "info": {"title": title, "version": version, "description": description},
            "paths": paths,
            "components": components_doc,
        }


def _path_params(path: str) -> list[str]:
    names = []
    for part in path.split("/"):
        if part.startswith("{") and part.endswith("}"):
            names.append(part[1:-1].split(":")[0])
    return names


def _document_validators(responses: dict[str, Any], parameters: list[dict[str, Any]]) -> None:
    """An answer with a validator: its ``ETag`` and ``Cache-Control``, ``If-None-Match``,
    and the 304 that answers a match."""
    parameters.append(
        {
            "name": "If-None-Match",
            "in": "header",
            "required": False,
            "description": "The ETag of an answer you hold: 304 with no body when it is "
            "still the answer (same snapshot, same reader, same question)",
            "schema": {"type": "string"},
        }
    )
    responses["200"]["headers"] = {
        "ETag": {
            "description": "Strong validator: the snapshot's commit and your view",
            "schema": {"type": "string"},
        },
        "Cache-Control": {
            "description": f"{PRIVATE}: a per-person answer, revalidated each time",
            "schema": {"type": "string"},
        },
    }
    responses["304"] = {"description": "Not Modified: the answer you hold is current"}


def _operation_id(method: str, path: str) -> str:
    return method.lower() + "_" + re.sub(r"[^a-z0-9]+", "_", path.lower()).strip("_")
