"""Writing a file whole or not at all, to the file the user named: shared by drawings (viz) and
model saves (nn).

The bytes go to a temporary file beside the real target, are flushed to disk, and are renamed over
it in one step, so a crash at any moment leaves the old file or the new one, never half of either.
Around that one rename:

- A symlink is followed to the file it names: that file is replaced and the link stays a link.
- The replaced file keeps its permission bits, and its owner and group where we may set them
  (as root, or a group we belong to). A new file gets 0666 less the umask, as `open()` gives.
- A folder, a device (`/dev/full`), a FIFO or a socket is refused before anything is written,
  and so is a read-only file: one we may not write, or one with no write bit at all (root may
  write anything, so for root the mode bits decide, as `rm` warns of a "write-protected" file).
- A missing folder is not created: FileNotFoundError names it.
- A file with several hard links is written in place, so every name sees the new contents (a
  rename would give this name a new file and leave the other names with the old one). That write
  is not atomic: if it fails the old bytes are put back, but a crash in the middle of it can leave
  the file half-written (a save file then fails to load with a clear error).
- The temporary file is removed on every failure. Each one is named after its target
  (`.NAME.stepgrad-XXXXXXXX.tmp`) and locked while it is written, so one left behind by a
  process that was killed (`kill -9`) is unlocked, and the next write to the same target removes
  it. Temporaries of writes still in progress stay locked and are left alone.
"""

from __future__ import annotations

import errno
import hashlib
import os
import secrets
import stat
from pathlib import Path

try:
    import fcntl
except ImportError:  # Windows: an open file cannot be deleted, which protects it just as well
    fcntl = None  # type: ignore[assignment]

TEMP_TAG = ".stepgrad-"
TEMP_SUFFIX = ".tmp"

_NO_LOCKS = {errno.ENOLCK, errno.EOPNOTSUPP, errno.ENOTSUP, errno.EINVAL, errno.ENOSYS}

_KINDS = {
    stat.S_IFCHR: "a character device",
    stat.S_IFBLK: "a block device",
    stat.S_IFIFO: "a FIFO (named pipe)",
    stat.S_IFSOCK: "a socket",
}


class NotRegularFileError(OSError, ValueError):
    """The path names a device, a FIFO or a socket: stepgrad writes and reads regular files only.

    An OSError (so `except OSError` around file handling sees it) and a ValueError (a bad path
    value), with errno EINVAL.
    """


def check_target(path: str | os.PathLike[str]) -> Path:
    """Return the real file that writing `path` would replace (symlinks followed), or raise.

    Raises what `write_atomically` would raise before writing anything: FileNotFoundError (a
    missing folder), NotADirectoryError, IsADirectoryError, NotRegularFileError (a device, FIFO
    or socket), PermissionError (a read-only file), OSError ELOOP (a symlink loop). Call it
    before slow work whose result will be written, so a bad path fails at once.
    """
    return _inspect(path)[0]


def write_atomically(path: str | os.PathLike[str], data: bytes) -> Path:
    """Write `data` to the file `path` names, whole or not at all; return `Path(path)`.

    The module docstring says what happens with symlinks, modes, owners, hard links, special
    files, read-only files, missing folders and temporary files. The file is flushed to disk,
    and so is its folder where the system allows, so a save survives a power cut once this
    returns.

    >>> write_atomically("graph.dot", b"digraph { a -> b }")
    PosixPath('graph.dot')
    """
    real, existing = _inspect(path)
    _remove_stale_temporaries(real)
    if existing is not None and existing.st_nlink > 1:
        _write_in_place(real, data)
    else:
        _write_and_rename(real, data, existing)
    return Path(path)


def read_regular_file(path: str | os.PathLike[str]) -> bytes:
    """Return the bytes of the regular file at `path` (symlinks followed).

    A folder raises IsADirectoryError; a device, FIFO or socket raises NotRegularFileError at
    once, without reading (so `/dev/zero` cannot fill memory and a FIFO cannot block).
    """
    flags = os.O_RDONLY
    for extra in ("O_NONBLOCK", "O_CLOEXEC", "O_BINARY"):
        flags |= getattr(os, extra, 0)
    fd = os.open(path, flags)
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, f"cannot read {os.fspath(path)}: it is a folder")
        if not stat.S_ISREG(mode):
            kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
            raise NotRegularFileError(
                errno.EINVAL,
                f"cannot read {os.fspath(path)}: it is {kind}, not a regular file",
            )
        return _read_all(fd)
    finally:
        os.close(fd)


# ---- checks made before anything is written ----


def _through_file_descriptor(given: str) -> bool:
    """Whether a path reaches a file through /proc/<pid>/fd (as /dev/stdout and /dev/fd/1 do):
    its folder resolves there, or a link on the way points there."""
    path = os.path.abspath(given)
    if os.path.realpath(os.path.dirname(path)).startswith("/proc/"):
        return True
    for _ in range(40):  # a link chain, step by step (realpath would jump to its end)
        if path.startswith("/proc/"):
            return True
        if not os.path.islink(path):
            return False
        target = os.readlink(path)
        path = os.path.normpath(os.path.join(os.path.dirname(path), target))
        if os.path.realpath(os.path.dirname(path)).startswith("/proc/"):
            return True
    return False


def _inspect(path: str | os.PathLike[str]) -> tuple[Path, os.stat_result | None]:
    """The real target and its stat (None when it does not exist yet), or the error to raise."""
    given = os.fspath(path)
    if isinstance(given, bytes):
        given = os.fsdecode(given)
    if not given:
        raise FileNotFoundError(errno.ENOENT, "cannot write '': an empty path names no file")
    if given.endswith(tuple(sep for sep in (os.sep, os.altsep) if sep)):
        raise IsADirectoryError(
            errno.EISDIR,
            f"cannot write {given}: a path ending in {given[-1]!r} names a folder; "
            "drop the trailing separator to name a file",
        )
    if _through_file_descriptor(given):
        raise NotRegularFileError(
            errno.EINVAL,
            f"cannot write {given}: it names an open file descriptor (/proc/*/fd, /dev/stdout, "
            "/dev/fd/N), and replacing the file behind it would cut the stream off; stepgrad "
            "writes regular files only: name the file itself",
        )
    real = Path(os.path.realpath(given))
    shown = given if os.path.abspath(given) == str(real) else f"{given} (a link to {real})"
    folder = real.parent
    try:
        folder_stat = os.stat(folder)
    except FileNotFoundError:
        raise FileNotFoundError(
            errno.ENOENT,
            f"cannot write {shown}: the folder {folder} does not exist; "
            f"create it first, e.g. os.makedirs({str(folder)!r}, exist_ok=True)",
        ) from None
    except NotADirectoryError:
        raise NotADirectoryError(
            errno.ENOTDIR, f"cannot write {shown}: a part of the folder {folder} is not a folder"
        ) from None
    if not stat.S_ISDIR(folder_stat.st_mode):
        raise NotADirectoryError(
            errno.ENOTDIR, f"cannot write {shown}: {folder} is a file, not a folder"
        )
    try:
        existing = os.lstat(real)
    except FileNotFoundError:
        return real, None
    mode = existing.st_mode
    if stat.S_ISLNK(mode):  # realpath stops at a link it cannot resolve: a loop
        raise OSError(errno.ELOOP, f"cannot write {given}: it is a symlink loop ({real})")
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(
            errno.EISDIR, f"cannot write {shown}: it is a folder; name a file inside it"
        )
    if not stat.S_ISREG(mode):
        kind = _KINDS.get(stat.S_IFMT(mode), "not a regular file")
        raise NotRegularFileError(
            errno.EINVAL,
            f"cannot write {shown}: it is {kind}, not a regular file; stepgrad writes regular "
            "files only (name a file path instead)",
        )
    bits = stat.S_IMODE(mode)
    if bits & 0o222 == 0:
        raise PermissionError(
            errno.EACCES,
            f"cannot write {shown}: the file is read-only (mode {bits:o}), and stepgrad does not "
            "replace read-only files; make it writable (chmod u+w) or write to another name",
        )
    if not _may_write(real):
        raise PermissionError(
            errno.EACCES,
            f"cannot write {shown}: no write permission for this user (mode {bits:o}, owner "
            f"uid {existing.st_uid}); make it writable or write to another name",
        )
    return real, existing


def _may_write(path: Path) -> bool:
    if os.access in os.supports_effective_ids:
        return os.access(path, os.W_OK, effective_ids=True)
    return os.access(path, os.W_OK)


# ---- the two ways of writing ----


def _write_and_rename(real: Path, data: bytes, existing: os.stat_result | None) -> None:
    fd, temporary = _create_temporary(real)
    try:
        if existing is not None:
            _copy_owner_and_mode(fd, existing)
        _write_all(fd, data)
        os.fsync(fd)
        os.replace(temporary, real)
    except BaseException:
        os.close(fd)
        _unlink_quietly(temporary)
        raise
    os.close(fd)  # only now: the lock tells a cleaner that this temporary is in use
    _sync_folder(real.parent)


def _write_in_place(real: Path, data: bytes) -> None:
    fd = os.open(real, os.O_RDWR | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0))
    try:
        old = _read_all(fd)
        try:
            os.lseek(fd, 0, os.SEEK_SET)
            _write_all(fd, data)
            os.ftruncate(fd, len(data))
            os.fsync(fd)
        except BaseException:
            os.lseek(fd, 0, os.SEEK_SET)
            _write_all(fd, old)
            os.ftruncate(fd, len(old))
            raise
    finally:
        os.close(fd)


def _write_all(fd: int, data: bytes) -> None:
    view = memoryview(data)
    while view:
        view = view[os.write(fd, view) :]


def _read_all(fd: int) -> bytes:
    chunks = []
    while chunk := os.read(fd, 1 << 20):
        chunks.append(chunk)
    return b"".join(chunks)


def _copy_owner_and_mode(fd: int, existing: os.stat_result) -> None:
    """Give the temporary the old file's owner and group where we may, then its mode bits
    (after chown, which clears setuid and setgid bits)."""
    if hasattr(os, "fchown"):
        mine = os.fstat(fd)
        if (mine.st_uid, mine.st_gid) != (existing.st_uid, existing.st_gid):
            try:
                os.fchown(fd, existing.st_uid, existing.st_gid)
            except PermissionError:
                try:  # not root: the group can still be kept if we belong to it
                    os.fchown(fd, -1, existing.st_gid)
                except PermissionError:
                    pass
    if hasattr(os, "fchmod"):
        os.fchmod(fd, stat.S_IMODE(existing.st_mode))


def _sync_folder(folder: Path) -> None:
    """Flush the folder entry of the rename to disk, where the system lets us open a folder."""
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


# ---- temporary files ----


def _temporary_prefix(real: Path) -> str:
    name = real.name
    if len(os.fsencode(name)) > 200:  # leave room for the tag in the 255-byte name limit
        name = hashlib.sha256(os.fsencode(name)).hexdigest()[:32]
    return f".{name}{TEMP_TAG}"


def _create_temporary(real: Path) -> tuple[int, str]:
    """Create and lock a fresh temporary beside `real`; return its descriptor and path."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL
    for extra in ("O_NOFOLLOW", "O_CLOEXEC", "O_BINARY"):
        flags |= getattr(os, extra, 0)
    prefix = _temporary_prefix(real)
    for _ in range(100):
        temporary = os.path.join(real.parent, f"{prefix}{secrets.token_hex(4)}{TEMP_SUFFIX}")
        try:
            fd = os.open(temporary, flags, 0o666)  # the kernel applies the umask
        except FileExistsError:
            continue
        except PermissionError:
            raise PermissionError(
                errno.EACCES,
                f"cannot write {real}: no permission to create a file in the folder "
                f"{real.parent} (the new contents are written to a temporary file there, "
                "then renamed over the target)",
            ) from None
        if fcntl is None:
            return fd, temporary
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)  # waits only while a cleaner is looking at it
            if os.fstat(fd).st_nlink > 0:
                return fd, temporary
        except OSError as error:
            if error.errno in _NO_LOCKS:  # a file system without locks: write unlocked (a
                return fd, temporary  # cleaner cannot lock ours either, so it leaves it alone)
            os.close(fd)
            _unlink_quietly(temporary)
            raise
        except BaseException:
            os.close(fd)
            _unlink_quietly(temporary)
            raise
        os.close(fd)  # a cleaner took it for stale in the instant before our lock: again
    raise FileExistsError(errno.EEXIST, f"cannot create a temporary file beside {real}")


def _remove_stale_temporaries(real: Path) -> None:
    """Remove temporaries of earlier writes to `real` whose writer is gone (no lock held)."""
    prefix = _temporary_prefix(real)
    try:
        names = [n for n in os.listdir(real.parent) if _is_ours(n, prefix)]
    except OSError:
        return
    for name in names:
        path = os.path.join(real.parent, name)
        if fcntl is None:
            _unlink_quietly(path)  # fails while another process has it open
            continue
        flags = os.O_RDWR | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
        try:
            fd = os.open(path, flags | getattr(os, "O_CLOEXEC", 0))
        except OSError:
            continue
        try:
            opened = os.fstat(fd)
            if not stat.S_ISREG(opened.st_mode):
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                continue  # a live writer holds it
            try:
                now = os.lstat(path)
            except OSError:
                continue
            if (now.st_dev, now.st_ino) == (opened.st_dev, opened.st_ino):
                _unlink_quietly(path)
        finally:
            os.close(fd)


def _is_ours(name: str, prefix: str) -> bool:
    if not (name.startswith(prefix) and name.endswith(TEMP_SUFFIX)):
        return False
    token = name[len(prefix) : -len(TEMP_SUFFIX)]
    return len(token) == 8 and all(c in "0123456789abcdef" for c in token)


def _unlink_quietly(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass
