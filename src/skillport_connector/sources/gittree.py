"""A read-only :class:`~skillport_connector.catalog.tree.Tree` over one git commit, read
straight from objects (nothing is checked out)."""

from __future__ import annotations

import os
import posixpath
import subprocess
import threading
import weakref
from collections.abc import Iterable
from typing import TYPE_CHECKING

from ..catalog.limits import DEFAULT_LIMITS
from ..catalog.tree import Entry, EntryKind, clean_path
from .giterrors import GitError

if TYPE_CHECKING:
    from .gitrepo import GitRepo

#: Links followed in a row before a path is taken for a loop (Linux's own limit).
MAX_LINK_HOPS = 40
#: Bytes of a symlink's target (Linux's PATH_MAX): a longer one is no link, never read.
MAX_LINK_BYTES = 4096
#: git's modes of a symlink and of a submodule (a commit, not a blob).
LINK = "120000"
GITLINK = "160000"
#: Names a crafted tree may hold that git itself refuses (fsck, checkout): never listed.
DOT_NAMES = (".", "..")


class GitTree:
    """A read-only :class:`~skillport_connector.sources.tree.Tree` over one commit.

    The whole listing comes from one ``git ls-tree -r``; file contents stream through one
    long-lived ``git cat-file --batch``. A read is a round trip to that process (~60 µs of
    wall time, mostly waiting for the other process to be scheduled): the loader names the
    files it is about to read (:meth:`read_ahead`) and they come in one pipelined pass
    (55,000 files: 3.3 s one by one, 0.3 s pipelined). Symlinks are blobs holding a target
    path: they are followed only while the target stays inside the tree.
    """

    def __init__(
        self, repo: GitRepo, commit: str, max_entries: int = DEFAULT_LIMITS.max_entries
    ) -> None:
        self.repo = repo
        self.commit = commit
        #: Whether the commit holds more than ``max_entries`` files and folders: the
        #: listing stops there (memory stays bounded) and the loader says so.
        self.truncated = False
        #: Why git could not list the whole commit (a crafted tree git itself refuses),
        #: or None: what came before is listed, and the loader reports it.
        self.problem: str | None = None
        self._max_entries = max_entries
        self._files: dict[str, tuple[str, str, int]] = {}  # path -> (mode, sha, size)
        # dir -> the paths of its entries: the very string objects that key ``_files`` and
        # ``_children`` (a dict of names per folder held ~40 MB more at 50,000 skills).
        children: dict[str, list[str]] = {"": []}
        self._children: dict[str, tuple[str, ...]] = {}
        self._has_links = False
        # The listing is parsed piece by piece while git writes the rest (50,000 skills:
        # 24 MB). One decode per piece (the metadata is ASCII, and a piece ends at a
        # record's end so no UTF-8 sequence is cut); the few distinct modes are shared.
        self._modes: dict[str, str] = {}
        try:
            self._list(children)
        except GitError as exc:
            self.problem = f"git cannot list commit {commit[:12]}: {str(exc)[:300]}"
        self._children = {folder: tuple(paths) for folder, paths in children.items()}
        self._links: dict[str, str | None] = {}  # link path -> what it resolves to
        self._targets: dict[str, str] = {}  # link blob id -> its target (one read each)
        self._ahead: dict[str, bytes] = {}  # real path -> content read ahead, not yet read
        self._lock = threading.Lock()
        self._proc: subprocess.Popen[bytes] | None = None
        self._finalizer = weakref.finalize(self, _close_proc, [None])

    def _list(self, children: dict[str, list[str]]) -> None:
        rest = b""
        listing = ("ls-tree", "-r", "-t", "-l", "-z", "--full-tree", self.commit)
        for piece in self.repo.stream(*listing):
            piece = rest + piece
            cut = piece.rfind(b"\0") + 1
            rest = piece[cut:]
            self._add(piece[:cut].decode("utf-8", "surrogateescape"), children)
            if self.truncated:
                return  # leaving the stream stops git
        self._add(rest.decode("utf-8", "surrogateescape"), children)

    def _add(self, records: str, children: dict[str, list[str]]) -> None:
        """Take ``ls-tree -l -z`` records into the listing (a folder comes before what
        it holds)."""
        modes, files = self._modes, self._files
        dotted = ".\0" in records or records.endswith(".")  # a name that ends in a dot
        room = self._max_entries - len(files) - len(children)
        for record in records.split("\0"):
            meta, tab, path = record.partition("\t")
            if not tab:
                continue
            room -= 1
            if room < 0:
                self.truncated = True
                return
            mode, kind, sha, size = meta.split()
            siblings = children.get(path.rpartition("/")[0])
            if siblings is None:  # not listed before its entries: not from ls-tree -t
                continue
            if dotted and path.rpartition("/")[2] in DOT_NAMES:
                continue  # "." or "..": no entry of a folder (and ".." would lead out)
            siblings.append(path)
            if kind == "tree":
                children.setdefault(path, [])  # a second tree of one name adds to the first
            else:
                mode = modes.setdefault(mode, mode)
                files[path] = (mode, sha, int(size) if size.isdigit() else 0)
                self._has_links = self._has_links or mode == LINK

    def __repr__(self) -> str:
        return f"GitTree({self.commit[:12]})"

    # -- resolution -----------------------------------------------------------------------

    def _resolve(self, path: str, chain: frozenset[str] = frozenset()) -> str | None:
        """The real in-tree path behind ``path`` after following symlinks, or None.

        Each link is resolved once (memoised), so a chain or a farm of links costs one
        step per link, not one per path through them; a loop resolves to None.
        """
        if not self._has_links:  # nothing to follow: a path names itself or nothing
            return path if path in self._files or path in self._children else None
        cur = ""
        for part in path.split("/") if path else []:
            candidate = f"{cur}/{part}" if cur else part
            entry = self._files.get(candidate)
            if entry is not None and entry[0] == LINK:
                if candidate not in self._links:
                    if candidate in chain or len(chain) >= MAX_LINK_HOPS:
                        return None  # a loop, or a chain too long to be anything else
                    self._links[candidate] = self._follow(candidate, entry[1], chain)
                resolved = self._links[candidate]
                if resolved is None:
                    return None
                cur = resolved
            elif candidate in self._files or candidate in self._children:
                cur = candidate
            else:
                return None
        return cur

    def _follow(self, link: str, sha: str, chain: frozenset[str]) -> str | None:
        target = self._targets.get(sha)
        if target is None:
            if self._files[link][2] > MAX_LINK_BYTES:
                return None
            try:
                target = self._read_blob(sha).decode("utf-8", "surrogateescape")
            except OSError:  # git lacks the link's blob (a partial repository): no target
                return None
            self._targets[sha] = target
        if target.startswith("/"):
            return None
        joined = posixpath.normpath(posixpath.join(posixpath.dirname(link), target))
        if joined == ".." or joined.startswith("../"):
            return None
        return self._resolve("" if joined == "." else joined, chain | {link})

    def resolve(self, path: str) -> str | None:
        return self._resolve(clean_path(path))

    def _kind_of_real(self, real: str) -> EntryKind:
        if real in self._children:
            return EntryKind.DIR
        mode = self._files[real][0]
        return EntryKind.FILE if mode in ("100644", "100755") else EntryKind.OTHER

    def kind(self, path: str) -> EntryKind | None:
        rel = clean_path(path)
        real = self._resolve(rel)
        if real is not None:
            return self._kind_of_real(real)
        entry = self._files.get(rel)
        return EntryKind.ESCAPE if entry is not None and entry[0] == LINK else None

    def list_dir(self, path: str) -> list[Entry]:
        real = self._resolve(clean_path(path))
        if real is None or real not in self._children:
            raise NotADirectoryError(path or ".")
        cut = len(real) + 1 if real else 0
        entries = []
        previous = None
        for child in sorted(self._children[real]):  # one prefix: sorted by name
            if child == previous:
                continue  # a name listed twice in one folder: a tree git's fsck refuses
            previous = child
            name = child[cut:]
            file = self._files.get(child)
            if file is None:
                entries.append(Entry(name, EntryKind.DIR))
            elif file[0] == GITLINK:
                entries.append(Entry(name, EntryKind.OTHER))
            elif file[0] != LINK:
                entries.append(Entry(name, EntryKind.FILE, file[2], None, file[0] == "100755"))
            else:
                target = self._resolve(child)
                if target is None:
                    entries.append(Entry(name, EntryKind.ESCAPE))
                else:
                    k = self._kind_of_real(target)
                    size = self._files[target][2] if k is EntryKind.FILE else 0
                    executable = k is EntryKind.FILE and self._files[target][0] == "100755"
                    entries.append(Entry(name, k, size, target, executable))
        return entries

    def size(self, path: str) -> int:
        real = self._resolve(clean_path(path))
        if real is None or self._kind_of_real(real) is not EntryKind.FILE:
            raise FileNotFoundError(path)
        return self._files[real][2]

    def read_bytes(self, path: str) -> bytes:
        real = self._resolve(clean_path(path))
        if real is None or self._kind_of_real(real) is not EntryKind.FILE:
            raise FileNotFoundError(path)
        ahead = self._ahead.pop(real, None)
        return ahead if ahead is not None else self._read_blob(self._files[real][1])

    def read_ahead(
        self, paths: Iterable[str], max_bytes: int, max_file_bytes: int | None = None
    ) -> None:
        """Read the files among ``paths`` (at most ``max_bytes`` in all; paths that name
        no file, or do not fit, are left to be read one by one; files over
        ``max_file_bytes`` are left out) in one pipelined pass:
        a thread writes every object id to ``git cat-file`` while this one reads the
        answers. The next :meth:`read_bytes` of each answers from memory, once."""
        wanted: dict[str, str] = {}  # real path -> blob id
        total = 0
        for path in paths:
            try:
                real = self._resolve(clean_path(path))
            except (ValueError, OSError):  # unsafe, or a link whose blob git lacks
                continue
            if real is None or real in wanted or self._kind_of_real(real) is not EntryKind.FILE:
                continue
            _, sha, size = self._files[real]
            if total + size > max_bytes or (max_file_bytes is not None and size > max_file_bytes):
                continue
            total += size
            wanted[real] = sha
        with self._lock:
            self._ahead = {}
            if wanted:
                self._ahead = self._read_many(wanted)

    def files(self) -> list[str]:
        return sorted(p for p, (mode, _, _) in self._files.items() if mode != LINK)

    # -- blobs ----------------------------------------------------------------------------

    def _read_blob(self, sha: str) -> bytes:
        with self._lock:
            return self._read_one(sha)

    def _batch(self) -> subprocess.Popen[bytes]:
        """The long-lived ``git cat-file --batch`` (started on first use; hold ``_lock``)."""
        if self._proc is None or self._proc.poll() is not None:
            self._proc = subprocess.Popen(
                ["git", "cat-file", "--batch"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL,
                env={**os.environ, "GIT_DIR": str(self.repo.git_dir)},
            )
            self._finalizer.detach()
            self._finalizer = weakref.finalize(self, _close_proc, [self._proc])
        return self._proc

    def _read_one(self, sha: str) -> bytes:
        """One blob through the long-lived ``git cat-file --batch`` (hold ``_lock``)."""
        proc = self._batch()
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(sha.encode() + b"\n")
        proc.stdin.flush()
        data = _answer(proc)
        if data is None:
            raise FileNotFoundError(sha)
        return data

    def _read_many(self, wanted: dict[str, str]) -> dict[str, bytes]:
        """The blobs of ``wanted`` (path -> id) in one pass (hold ``_lock``); one that git
        cannot give is left out (its read fails the usual way). The ids are written from a
        thread: written all at once, git's answers would fill the pipe while this thread
        still writes, and both would wait for ever."""
        proc = self._batch()
        stdin = proc.stdin
        assert stdin is not None
        request = "".join(f"{sha}\n" for sha in wanted.values()).encode()

        def write() -> None:
            try:
                stdin.write(request)
                stdin.flush()
            except OSError:  # git went away: the answers below come up short
                pass

        writer = threading.Thread(target=write, name="git-read-ahead", daemon=True)
        writer.start()
        try:
            found = {}
            for path in wanted:
                data = _answer(proc)
                if data is not None:
                    found[path] = data
            return found
        except BaseException:
            proc.kill()  # its answers are out of step with the requests now
            raise
        finally:
            writer.join()

    def close(self) -> None:
        self._finalizer()


def _answer(proc: subprocess.Popen[bytes]) -> bytes | None:
    """Read one ``git cat-file --batch`` answer (a header line, the content, a newline);
    ``None`` for an object git does not have, or when git went away (a corrupt object
    makes it die part way through the content: those bytes are not the file)."""
    assert proc.stdout is not None
    header = proc.stdout.readline().split()
    if len(header) < 3:
        return None
    size = int(header[2])
    data = proc.stdout.read(size)
    if len(data) < size:
        proc.kill()  # gone, or out of step: the next read starts a new one
        proc.wait()
        return None
    proc.stdout.read(1)  # trailing newline
    return data


def _close_proc(holder: list[subprocess.Popen[bytes] | None]) -> None:
    for proc in holder:
        if proc is not None and proc.poll() is None:
            try:
                if proc.stdin:
                    proc.stdin.close()
                proc.wait(timeout=5)
            except Exception:  # pragma: no cover - best effort at shutdown
                proc.kill()
