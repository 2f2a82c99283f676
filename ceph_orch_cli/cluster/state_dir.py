"""The state directory is private and safe to use.

Created 0700 whatever the umask; a directory others may write into (world-writable) or
that belongs to another user is refused, because whoever controls it controls the
cluster's state (and, with root, what files root creates); files inside are opened
without following symbolic links, so a planted ``converge.lock`` link cannot make
``orch`` create or truncate its target. A directory this process cannot write serves
read commands; writes fail naming it.

Stdlib only: the command line calls it before the engine is imported.
"""
from __future__ import annotations

import errno
import os
import stat
from pathlib import Path


def prepare(path: Path) -> None:
    """Create the state directory (0700), or check that an existing one is safe."""
    try:
        st = os.stat(path)
    except FileNotFoundError:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            os.mkdir(path, 0o700)
        except FileExistsError:
            pass  # another process created it meanwhile
        except OSError as e:
            raise OSError(e.errno, f'cannot create the state directory ({e.strerror})',
                          str(path)) from None
        st = os.stat(path)
        if stat.S_IMODE(st.st_mode) & 0o077 and st.st_uid == os.geteuid():
            os.chmod(path, 0o700)  # the umask cannot widen it, but be sure
    except OSError as e:
        raise OSError(e.errno, f'cannot use the state directory ({e.strerror})',
                      str(path)) from None
    check(path, st)


def check(path: Path, st: 'os.stat_result') -> None:
    """Refuse a state directory that is not a directory, is world-writable or is
    owned by another user."""
    if not stat.S_ISDIR(st.st_mode):
        raise OSError(errno.ENOTDIR, 'the state directory is not a directory', str(path))
    if st.st_mode & stat.S_IWOTH:
        raise OSError(errno.EPERM, 'refusing a world-writable state directory (anyone could '
                      f'rewrite the cluster state); run `chmod 700 {path}`', str(path))
    if st.st_uid != os.geteuid():
        raise OSError(errno.EPERM, f'refusing a state directory owned by uid {st.st_uid} '
                      f'(this orch runs as uid {os.geteuid()}); use your own state directory',
                      str(path))


def writable(path: Path) -> bool:
    """Can this process create files in the state directory?"""
    return os.access(path, os.W_OK | os.X_OK)


def open_private(path: Path, flags: int = os.O_RDWR) -> int:
    """Open (creating 0600) a file inside the state directory without following a link."""
    try:
        return os.open(path, flags | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC, 0o600)
    except OSError as e:
        if e.errno == errno.ELOOP:
            raise OSError(errno.EPERM, 'refusing a symbolic link inside the state directory; '
                          'remove it', str(path)) from None
        if e.errno in (errno.EACCES, errno.EROFS, errno.EPERM):
            raise OSError(e.errno, f'the state directory is not writable ({e.strerror}); '
                          'read commands still work', str(path.parent)) from None
        raise


def refuse_link(path: Path) -> None:
    """A file of the state dir that is a symbolic link is refused, not followed."""
    if path.is_symlink():
        raise OSError(errno.EPERM, 'refusing a symbolic link inside the state directory; '
                      'remove it', str(path))


def tighten(path: Path) -> None:
    """An existing database readable by others is made 0600."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if stat.S_ISREG(st.st_mode) and stat.S_IMODE(st.st_mode) & 0o077 \
            and st.st_uid == os.geteuid():
        try:
            os.chmod(path, stat.S_IMODE(st.st_mode) & 0o600)
        except OSError:
            pass  # a read-only file system: reads still work
