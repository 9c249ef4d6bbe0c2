"""Keep the garbage collector off the long-lived snapshot.

A snapshot is hundreds of thousands of objects that live until the next one. Python's
full collections walk all of them again and again while requests allocate, which showed
up as 70 ms pauses at 1,000 skills. After each swap we collect once and freeze what is
left (``gc.freeze``: moved to a generation the collector skips); unfreezing first lets
the previous snapshot, now garbage, be collected.

``serve`` builds its start with the collector off (see ``cli.main``) and freezes it as it
is right before listening (:func:`freeze_start`): a full collection of the ~200,000
objects of a fresh process found ~10,000 garbage objects and took 0.1 to 1 s, a tenth of
the start. The app's own start (:func:`started`) then collects only what came after.

A later snapshot is built with automatic collection paused too (:func:`loading`): a
50,000-skill load made 8 full collections, 0.6 to 0.9 s of walking objects that all live
until the next swap. The swap's :func:`settle` collects once. While a load runs (seconds
at that size) other threads' cyclic garbage waits for it; their plain garbage is freed
at once as always.
"""

from __future__ import annotations

import ctypes
import gc
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

_start_frozen = False
_lock = threading.Lock()
_loads = 0  # loads running now
_resume = False  # whether collection was on when the first of them began


def freeze_start() -> None:
    """Freeze everything the process's start built, without collecting it first."""
    global _start_frozen
    gc.freeze()
    _start_frozen = True


def started() -> None:
    """The app has started: after :func:`freeze_start`, collect and freeze what came since;
    otherwise (an app built in a process that does other things too, such as tests) the
    whole :func:`settle`."""
    if _start_frozen:
        gc.collect()
        gc.freeze()
        release()
    else:
        settle()


def settle(_commit: str | None = None) -> None:
    """Collect, then exempt everything alive from future collections (after a swap), and
    hand the memory the load freed back to the system (:func:`release`)."""
    gc.unfreeze()
    gc.collect()
    gc.freeze()
    release()


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (musl, macOS). Looked
    up among the symbols the process already has: ``ctypes.util.find_library`` would run
    ``ldconfig`` at every start (~2 ms)."""
    try:
        return ctypes.CDLL(None).malloc_trim  # type: ignore[no-any-return]
    except (OSError, AttributeError):
        return None


_trim = _malloc_trim()


def release() -> bool:
    """Return the C heap's free pages to the system (glibc ``malloc_trim``; ~1 ms). A load
    frees much of what it built (file contents, parsed front matter) in holes between the
    records it keeps, which the C heap otherwise holds on to: 50,000 skills, ~14 MB of
    RSS. False where there is no such call."""
    if _trim is None:
        return False
    _trim(0)
    return True


@contextmanager
def loading() -> Iterator[None]:
    """Pause automatic collection while a snapshot is built; resume it (if it was on)
    when the last of the loads running at once ends."""
    global _loads, _resume
    with _lock:
        if _loads == 0:
            _resume = gc.isenabled()
            gc.disable()
        _loads += 1
    try:
        yield
    finally:
        with _lock:
            _loads -= 1
            if _loads == 0 and _resume:
                gc.enable()
