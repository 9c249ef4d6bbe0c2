"""REST API (the original connector's wire contract, plus search and direct packages).

common.py      the caller, JSON in and out
errors.py      domain error kinds -> HTTP status and ``{"error", "message"}``
openapi.py     the route table that also writes /openapi.json
routes.py      assembles the routers below
skills.py      list/search, one skill, check-updates, whoami, debug
install.py     install tokens, redemption, packages, install.sh
editing.py     save, delete, publish, bump, edit tokens, edit.sh
webhooks.py    GitHub and GitLab push webhooks
operations.py  /healthz, /readyz, /metrics
"""
