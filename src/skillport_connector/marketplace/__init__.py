"""Claude Code, natively: a per-person plugin marketplace served by the connector.

credentials.py  sk_cc_ credentials: per person and device, hashed, revocable at once
selection.py    what a person's marketplace holds and where each file goes (pure)
filtered.py     one bare repository per selection, written with git fast-import
githttp.py      read-only smart HTTP through ``git http-backend`` (upload-pack only)
service.py      who is asking, what they may read now, the marketplace.json
routes.py       the REST routes and the git route
"""
