"""Git source benchmark (a script that prints figures, not a test).

    .venv/bin/python benchmarks/git_bench.py [--groups 10,100,1000] [--skills-per-group 2]

Serves synthetic marketplaces from a request-counting git smart-HTTP server (the one the
tests use: real ``git http-backend``, Basic auth) and prints:

* upstream HTTP requests for a cold load and for a no-change refresh, next to the original
  connector's GitHub REST formula 2 + P x (2 + S);
* time to load the marketplace from git (clone + catalog);
* time from a push to the change being visible through the API, with a webhook.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from gitserver import READ_TOKEN, WRITE_TOKEN, GitHttpServer  # noqa: E402
from serving import build_app, client_for  # noqa: E402

from skillport_connector.auth import Identity  # noqa: E402
from skillport_connector.sources.git import GitSource  # noqa: E402
from skillport_connector.sources.gitrepo import Credentials  # noqa: E402

SECRET = "bench-secret"
PUSHED = "---\nname: pushed\ndescription: New.\n---\n"


def make_marketplace(root: Path, groups: int, per_group: int) -> None:
    entries = []
    for g in range(groups):
        name = f"group-{g:04d}"
        base = root / "plugins" / name
        (base / ".claude-plugin").mkdir(parents=True)
        (base / ".claude-plugin/plugin.json").write_text(
            json.dumps({"name": name, "version": "1.0.0"})
        )
        entries.append({"name": name, "source": f"./plugins/{name}", "tags": ["surface:CALL"]})
        for s in range(per_group):
            skill = f"s-{g:04d}-{s:02d}"
            folder = base / "skills" / skill
            (folder / "references").mkdir(parents=True)
            (folder / "SKILL.md").write_text(
                f"---\nname: {skill}\ndescription: Synthetic skill {skill} for the git benchmark."
                "\n---\n\n" + "Instructions. " * 40 + "\n"
            )
            (folder / "references/notes.md").write_text("notes\n" * 20)
    (root / ".claude-plugin").mkdir()
    (root / ".claude-plugin/marketplace.json").write_text(
        json.dumps({"name": "bench", "owner": {"name": "Bench"}, "plugins": entries})
    )


def run(groups: int, per_group: int, work: Path) -> dict[str, float]:
    seed = work / "seed"
    make_marketplace(seed, groups, per_group)
    server = GitHttpServer(work / "remote")
    server.create_repo("market", seed)
    server.start()
    try:
        server.reset_counts()
        t = time.perf_counter()
        source = GitSource(
            server.url("market"),
            data_dir=work / "data",
            credentials=Credentials(READ_TOKEN, WRITE_TOKEN),
            poll_interval=0,
            min_refresh_interval=0,
        )
        load_seconds = time.perf_counter() - t
        cold = server.total
        assert len(source.catalog.skills) == groups * per_group
        server.reset_counts()
        source.check()
        refresh = server.total

        app = build_app(
            work / "appdata",
            marketplace=server.url("market"),
            git_read_token=READ_TOKEN,
            poll_interval=0,
            min_refresh_interval=0,
            github_webhook_secret=SECRET,
        )
        client = client_for(app)
        token = app.state.services.tokens.mint_api_token(Identity.local("bench@example.com"))
        server.push_change(
            "market",
            {"plugins/group-0000/skills/pushed/SKILL.md": PUSHED},
            "Push",
        )
        t = time.perf_counter()
        body = b'{"ref": "refs/heads/main"}'
        sig = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        client.post("/webhooks/github", content=body, headers={"X-Hub-Signature-256": sig})
        seen = client.get("/api/skills/pushed", headers={"Authorization": f"Bearer {token}"})
        visible = time.perf_counter() - t
        assert seen.status_code == 200, seen.text
        return {"cold": cold, "refresh": refresh, "load_s": load_seconds, "visible_s": visible}
    finally:
        server.stop()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--groups", default="10,100,1000")
    parser.add_argument("--skills-per-group", type=int, default=2)
    args = parser.parse_args()
    per = args.skills_per_group
    print(f"{'groups':>7} {'skills':>7} {'cold req':>9} {'refresh req':>12} {'original':>9}"
          f" {'load s':>8} {'push->visible s':>16}")  # fmt: skip
    for groups in (int(g) for g in args.groups.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            r = run(groups, per, Path(tmp))
        original = 2 + groups * (2 + per)
        print(
            f"{groups:>7} {groups * per:>7} {r['cold']:>9} {r['refresh']:>12} {original:>9}"
            f" {r['load_s']:>8.2f} {r['visible_s']:>16.3f}",
            flush=True,
        )
    print(
        "cold/refresh: HTTP requests the git server answered;"
        " original: 2 + P x (2 + S) GitHub calls"
    )


if __name__ == "__main__":
    main()
