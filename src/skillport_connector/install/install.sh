#!/usr/bin/env bash
# Skillport installer, served by a Skillport Connector with its address baked in.
#
#   curl -sf __SKILLPORT_BASE_URL__/install.sh | bash -s -- <install_token> --package
#   curl -sf __SKILLPORT_BASE_URL__/install.sh | bash -s -- <install_token> --skill
#   curl -sf __SKILLPORT_BASE_URL__/edit.sh | bash -s -- <edit_token>
#
# The token may instead come from the environment, so it never shows in `ps` (other users of
# the machine can read every process's arguments, not its environment):
#
#   curl -sf __SKILLPORT_BASE_URL__/install.sh | SKILLPORT_TOKEN=<install_token> bash -s -- --skill
#
# or, with a saved script, from standard input: `bash install.sh --token-stdin --skill < file`.
#
# --package  writes /tmp/<name>.skill (for Claude.ai and Claude Desktop: "Copy to your skills")
#            and prints SKILL_FILE=<path> as its last line.
# --skill    installs into ~/.claude/skills/<name>/ (for Claude Code), replacing an older copy.
#            install.sh's default, as the original connector's.
# --edit     (edit.sh's default) writes the skill's files to a new private folder
#            (mktemp -d, mode 0700: /tmp/skillport-edit.XXXXXX/<name>/) for an editor to
#            change, with .edit_info (name, plugin, version, files), and prints
#            SKILL_DIR=<path>, then FILES: and the file list, as the original's edit.sh.
# Executable files (git mode 100755) are written 0755, everything else 0644.
#
# Needs only bash, curl and python3. Whatever the server sends, nothing is written outside
# the target folder or package file: paths are checked and files are created fresh.
# Environment: SKILLPORT_CONNECTOR_URL (or SKILLPORT_URL) overrides the connector's address;
# SKILLPORT_TOKEN (the token), SKILLPORT_SKILLS_DIR (default ~/.claude/skills),
# SKILLPORT_PACKAGE_DIR (default /tmp), SKILLPORT_EDIT_DIR (default: a new private folder),
# SKILLPORT_RETRY_DELAYS (seconds between attempts on 5xx, default "1 2 4 8").
set -euo pipefail

BASE_URL="${SKILLPORT_CONNECTOR_URL:-${SKILLPORT_URL:-__SKILLPORT_BASE_URL__}}"
TOKEN="${SKILLPORT_TOKEN:-}"
MODE="__SKILLPORT_MODE__"
RETRY_DELAYS="${SKILLPORT_RETRY_DELAYS:-1 2 4 8}"

die() { echo "skillport: $*" >&2; exit 1; }

for arg in "$@"; do
  case "$arg" in
    --package) MODE="package" ;;
    --skill) MODE="skill" ;;
    --edit) MODE="edit" ;;
    --token-stdin) IFS= read -r TOKEN || [ -n "$TOKEN" ] || die "no token on standard input" ;;
    -h|--help) echo "usage: install.sh <sk_install_token> [--package|--skill] | edit.sh <sk_edit_token> (or SKILLPORT_TOKEN=<token>, or --token-stdin)"; exit 0 ;;
    sk_install_*|sk_edit_*) TOKEN="$arg" ;;
    *) die "unknown argument '$arg' (expected a token, --package, --skill, --edit or --token-stdin)" ;;
  esac
done
[ -n "$TOKEN" ] || die "missing install token: ask Claude (or GET /api/skills/<name>/install) for a new one"
# Tokens are URL-safe base64 after their prefix; anything else never reaches the URL.
[[ "$TOKEN" =~ ^sk_(install|edit)_[A-Za-z0-9_-]{1,200}$ ]] || die "that is not a Skillport token"
read -r -a DELAYS <<< "$RETRY_DELAYS"
for delay in "${DELAYS[@]}"; do
  [[ "$delay" =~ ^[0-9]+(\.[0-9]+)?$ ]] || die "SKILLPORT_RETRY_DELAYS must be numbers of seconds, not '$delay'"
done
ATTEMPTS=$(( ${#DELAYS[@]} + 1 ))
command -v curl >/dev/null || die "curl is required"
command -v python3 >/dev/null || die "python3 is required"

ENDPOINT="api/install"
if [ "$MODE" = "edit" ]; then ENDPOINT="api/edit"; fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/skillport-install.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
PAYLOAD="$WORK/payload.json"

attempt=1
while :; do
  # The URL holds the token: give it to curl on standard input, not as an argument (`ps`).
  status="$(printf 'url = "%s"\n' "$BASE_URL/$ENDPOINT/$TOKEN" \
    | curl -sS -K - -o "$PAYLOAD" -w '%{http_code}' 2>"$WORK/curl.err" || true)"
  case "$status" in
    200) break ;;
    404) die "this link is unknown or has expired (links last 15 minutes); ask for a new one" ;;
    410) die "this link was already used (each link works once); ask for a new one" ;;
    5??|000|"")
      if [ "$attempt" -ge "$ATTEMPTS" ]; then
        die "the server did not answer properly after $attempt attempts (last status ${status:-none}: $(cat "$WORK/curl.err" 2>/dev/null))"
      fi
      delay="${DELAYS[$((attempt - 1))]}"
      echo "skillport: server answered ${status:-nothing}; retrying in ${delay}s ($attempt/$ATTEMPTS)" >&2
      sleep "$delay"; attempt=$((attempt + 1)) ;;
    *) die "unexpected answer $status from $BASE_URL: $(head -c 300 "$PAYLOAD" 2>/dev/null)" ;;
  esac
done

python3 - "$PAYLOAD" "$MODE" "$WORK" <<'PY'
import base64, json, os, re, shutil, sys, tempfile, zipfile

payload_path, mode, work = sys.argv[1:4]
# The skill-name rule (skillport_connector/names.py, SKILL_NAME_BASH), matched in full:
# with re.match, "$" would also accept a trailing newline ("evil\n").
NAME = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
MAX_FILES, MAX_BYTES = 5000, 200 * 1024 * 1024

def die(msg):
    print("skillport: " + msg, file=sys.stderr)
    sys.exit(1)

try:
    with open(payload_path, "rb") as fh:
        payload = json.load(fh)
    skill = payload["skill"]
    name, version, files = skill["name"], str(skill.get("version", "")), payload["files"]
except (ValueError, KeyError, TypeError):
    die("the server sent something that is not an install payload")
if not isinstance(name, str) or len(name) > 64 or not NAME.fullmatch(name):
    die("refusing unsafe skill name %r" % (name,))
if not isinstance(files, list) or len(files) > MAX_FILES:
    die("refusing a payload with a bad file list")

def safe_parts(path):
    if not isinstance(path, str) or not path or len(path) > 1024:
        return None
    if "\x00" in path or "\\" in path or path.startswith("/"):
        return None
    parts = path.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return None
    return parts

stage = tempfile.mkdtemp(prefix=".skillport-stage-", dir=work)
total = 0
written = []
for entry in files:
    parts = safe_parts(entry.get("path") if isinstance(entry, dict) else None)
    if parts is None:
        die("refusing unsafe file path %r" % (entry.get("path") if isinstance(entry, dict) else entry,))
    content = entry.get("content", "")
    if not isinstance(content, str):
        die("refusing file %r with non-text content field" % entry["path"])
    if entry.get("encoding") == "base64":
        try:
            data = base64.b64decode(content, validate=True)
        except ValueError:
            die("file %r is not valid base64" % entry["path"])
    else:
        data = content.encode("utf-8")
    total += len(data)
    if total > MAX_BYTES:
        die("refusing a payload larger than %d bytes" % MAX_BYTES)
    parent = stage
    for part in parts[:-1]:
        parent = os.path.join(parent, part)
        if os.path.islink(parent) or (os.path.exists(parent) and not os.path.isdir(parent)):
            die("refusing conflicting path %r" % entry["path"])
        os.makedirs(parent, exist_ok=True)
    target = os.path.join(parent, parts[-1])
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    try:
        fd = os.open(target, flags, 0o600)
    except FileExistsError:
        die("refusing duplicate path %r" % entry["path"])
    with os.fdopen(fd, "wb") as out:
        out.write(data)
        os.fchmod(out.fileno(), 0o755 if entry.get("executable") is True else 0o644)
    written.append("/".join(parts))
if "SKILL.md" not in written:
    die("the payload has no SKILL.md")

def replace_dir(parent, dest):
    """Swap the staged copy in for ``dest`` with renames, so no half-written folder is seen."""
    fresh = tempfile.mkdtemp(prefix=".skillport-new-", dir=parent)
    os.rmdir(fresh)
    shutil.copytree(stage, fresh, symlinks=True)
    # mkdtemp made the stage 0700; an installed skill is an ordinary folder (as the
    # subfolders are), a working copy for editing stays private.
    os.chmod(fresh, 0o700 if mode == "edit" else 0o755)
    old = None
    if os.path.lexists(dest):
        old = tempfile.mkdtemp(prefix=".skillport-old-", dir=parent)
        os.rmdir(old)
        os.rename(dest, old)
    os.rename(fresh, dest)
    if old:
        if os.path.isdir(old) and not os.path.islink(old):
            shutil.rmtree(old)
        else:
            os.unlink(old)

if mode == "edit":
    # A fresh folder only this user can enter (mkdtemp: mode 0700, a random name): a fixed
    # /tmp/skillport-edit could be created first by another local user, who would then own
    # the working copy. SKILLPORT_EDIT_DIR is the user's own choice and is used as given.
    edit_dir = os.environ.get("SKILLPORT_EDIT_DIR")
    if edit_dir:
        os.makedirs(edit_dir, mode=0o700, exist_ok=True)
    else:
        edit_dir = tempfile.mkdtemp(prefix="skillport-edit.", dir=os.environ.get("TMPDIR") or "/tmp")
    dest = os.path.join(edit_dir, name)
    if ".edit_info" not in written:
        info = {"name": name, "plugin": str(skill.get("plugin") or name), "version": version,
                "files": written}
        with open(os.path.join(stage, ".edit_info"), "x") as fh:
            json.dump(info, fh, indent=2)
    replace_dir(edit_dir, dest)
    print("Editing %s %s: %d files in %s" % (name, version, len(written), dest))
    print("SKILL_DIR=%s" % dest)
    print("FILES:")
    for rel in sorted(written):
        print("  " + rel)
elif mode == "skill":
    skills_dir = os.path.expanduser(os.environ.get("SKILLPORT_SKILLS_DIR", "~/.claude/skills"))
    os.makedirs(skills_dir, exist_ok=True)
    dest = os.path.join(skills_dir, name)
    replace_dir(skills_dir, dest)
    print("Installed %s %s into %s (%d files)." % (name, version, dest, len(written)))
    print("Claude Code picks it up in new sessions; restart a running session to use it now.")
    print("SKILL_DIR=%s" % dest)
else:
    out_dir = os.environ.get("SKILLPORT_PACKAGE_DIR", "/tmp")
    dest = os.path.join(out_dir, name + ".skill")
    fd, tmp = tempfile.mkstemp(prefix=".skillport-", suffix=".skill", dir=out_dir)
    with os.fdopen(fd, "wb") as raw, zipfile.ZipFile(raw, "w", zipfile.ZIP_DEFLATED) as zf:
        for rel in sorted(written):
            zf.write(os.path.join(stage, *rel.split("/")), name + "/" + rel)
    os.chmod(tmp, 0o644)
    os.replace(tmp, dest)  # replaces a planted symlink itself, never follows it
    print("Packaged %s %s (%d files)." % (name, version, len(written)))
    print("SKILL_FILE=%s" % dest)
PY
