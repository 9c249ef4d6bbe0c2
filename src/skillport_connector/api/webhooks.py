"""REST: push webhooks from GitHub and GitLab (signed; each delivery acted on once)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from ..errors import NotFound, Unauthenticated
from ..services.records import WebhookOutcome
from ..services.webhooks import Provider, github_signature_ok, gitlab_token_ok
from . import schemas
from .common import MAX_JSON_BODY, json_response, read_body, services_of
from .openapi import ApiRouter

router = ApiRouter()
MAX_WEBHOOK_BODY = 4 * MAX_JSON_BODY


def webhook_response(outcome: WebhookOutcome) -> Response:
    body: dict[str, object] = {"refreshed": outcome.refreshed, "commit": outcome.commit}
    if outcome.duplicate:
        body["duplicate"] = True
    return json_response(body)


async def deliver(
    request: Request, provider: Provider, delivery: str | None, body: bytes
) -> Response:
    webhooks = services_of(request).webhooks
    outcome = await run_in_threadpool(webhooks.deliver, provider, delivery, body)
    return webhook_response(outcome)


@router.post(
    "/webhooks/github",
    tags=["webhooks"],
    summary="GitHub push webhook (X-Hub-Signature-256, SKILLPORT_GITHUB_WEBHOOK_SECRET)",
    ok=schemas.WebhookResult,
    errors=(401, 404, 413),
    secured=False,
)
async def github_webhook(request: Request) -> Response:
    services = services_of(request)
    secret = services.settings.github_webhook_secret
    if not secret:
        raise NotFound("The GitHub webhook is off: set SKILLPORT_GITHUB_WEBHOOK_SECRET.")
    body = await read_body(request, MAX_WEBHOOK_BODY, "webhook body")
    if not github_signature_ok(secret, body, request.headers.get("x-hub-signature-256", "")):
        raise Unauthenticated("Bad or missing X-Hub-Signature-256.")
    if request.headers.get("x-github-event") == "ping":
        return webhook_response(WebhookOutcome(False, services.webhooks.current_commit()))
    return await deliver(request, "github", request.headers.get("x-github-delivery"), body)


@router.post(
    "/webhooks/gitlab",
    tags=["webhooks"],
    summary="GitLab push webhook (X-Gitlab-Token, SKILLPORT_GITLAB_WEBHOOK_TOKEN)",
    ok=schemas.WebhookResult,
    errors=(401, 404, 413),
    secured=False,
)
async def gitlab_webhook(request: Request) -> Response:
    secret = services_of(request).settings.gitlab_webhook_token
    if not secret:
        raise NotFound("The GitLab webhook is off: set SKILLPORT_GITLAB_WEBHOOK_TOKEN.")
    body = await read_body(request, MAX_WEBHOOK_BODY, "webhook body")
    if not gitlab_token_ok(secret, request.headers.get("x-gitlab-token", "")):
        raise Unauthenticated("Bad or missing X-Gitlab-Token.")
    delivery = request.headers.get("idempotency-key") or request.headers.get("x-gitlab-event-uuid")
    return await deliver(request, "gitlab", delivery, body)
