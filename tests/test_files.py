"""Writing files: the atomic write lands on the file the user named, keeps what it should, refuses
what it must, and never leaves a temporary file behind (not even after a kill -9).

These go through `write_atomically`, which `Module.save`, `draw` and `animate` all use; a few check
the same behaviour through `draw(..., ".dot")` and `Module.save` themselves.
"""

from __future__ import annotations

import errno
import os
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from autograd import Value, draw
from autograd._files import NotRegularFileError, check_target, write_atomically
from nn import MLP

ROOT = Path(__file__).resolve().parent.parent
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
posix_only = pytest.mark.skipif(os.name != "posix", reason="POSIX file semantics")


def leftovers(folder: Path) -> list[str]:
    """Names in `folder` that look like one of our temporary files."""
    return sorted(name for name in os.listdir(folder) if ".stepgrad-" in name)


# ---- the file the user named ----


@posix_only
def test_a_write_through_a_symlink_replaces_the_file_it_points_to_and_the_link_stays(
    tmp_path: Path,
) -> None:
    (tmp_path / "real").mkdir()
    real = tmp_path / "real" / "m.json"
    real.write_bytes(b"old")
    link = tmp_path / "m.json"
    link.symlink_to(Path("real") / "m.json")  # relative, as `ln -s` makes them
    inode = real.stat().st_ino
    write_atomically(link, b"new")
    assert link.is_symlink() and os.readlink(link) == os.path.join("real", "m.json")
    assert real.read_bytes() == b"new" and not real.is_symlink()
    assert real.stat().st_ino != inode  # the real file was replaced whole (renamed over)
    assert leftovers(tmp_path) == [] and leftovers(tmp_path / "real") == []


@posix_only
def test_a_chain_of_symlinks_is_followed_to_the_end(tmp_path: Path) -> None:
    real = tmp_path / "c"
    real.write_bytes(b"old")
    (tmp_path / "b").symlink_to("c")
    (tmp_path / "a").symlink_to(tmp_path / "b")
    write_atomically(tmp_path / "a", b"new")
    assert (tmp_path / "a").is_symlink() and (tmp_path / "b").is_symlink()
    assert real.read_bytes() == b"new"


@posix_only
def test_a_dangling_symlink_gets_its_file_created_as_echo_would(tmp_path: Path) -> None:
    link = tmp_path / "m.json"
    link.symlink_to("target.json")
    write_atomically(link, b"new")
    assert link.is_symlink() and (tmp_path / "target.json").read_bytes() == b"new"


@posix_only
def test_a_symlink_loop_is_refused_with_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "a").symlink_to("b")
    (tmp_path / "b").symlink_to("a")
    with pytest.raises(OSError, match="symlink") as caught:
        write_atomically(tmp_path / "a", b"x")
    assert caught.value.errno == errno.ELOOP
    assert (tmp_path / "a").is_symlink() and (tmp_path / "b").is_symlink()


@posix_only
@pytest.mark.parametrize("mode", [0o600, 0o640, 0o604, 0o755, 0o2770])
def test_the_replaced_file_keeps_its_permission_bits(tmp_path: Path, mode: int) -> None:
    path = tmp_path / "m.json"
    path.write_bytes(b"old")
    os.chmod(path, mode)
    write_atomically(path, b"new")
    assert stat.S_IMODE(path.stat().st_mode) == mode and path.read_bytes() == b"new"


@posix_only
@pytest.mark.skipif(not IS_ROOT, reason="only root may give a file to another owner")
def test_the_replaced_file_keeps_its_owner_and_group_when_we_may_set_them(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_bytes(b"old")
    os.chown(path, 12345, 23456)
    os.chmod(path, 0o4750)  # chown clears setuid bits: they must be put back after it
    write_atomically(path, b"new")
    st = path.stat()
    assert (st.st_uid, st.st_gid, stat.S_IMODE(st.st_mode)) == (12345, 23456, 0o4750)


@posix_only
@pytest.mark.parametrize("mask,mode", [(0o022, 0o644), (0o027, 0o640), (0o077, 0o600)])
def test_a_new_file_gets_0666_less_the_umask(tmp_path: Path, mask: int, mode: int) -> None:
    old = os.umask(mask)
    try:
        write_atomically(tmp_path / "new.json", b"x")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "new.json").stat().st_mode) == mode


# ---- refused before anything is written ----


def test_a_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "m.json").mkdir()
    with pytest.raises(IsADirectoryError, match="is a folder"):
        write_atomically(tmp_path / "m.json", b"x")
    assert (tmp_path / "m.json").is_dir() and leftovers(tmp_path) == []


def test_an_empty_path_or_one_ending_in_a_separator_is_refused(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="empty path"):
        write_atomically("", b"x")
    with pytest.raises(IsADirectoryError, match="names a folder"):
        write_atomically(str(tmp_path / "m.json") + os.sep, b"x")
    assert os.listdir(tmp_path) == []


@posix_only
def test_a_fifo_is_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(NotRegularFileError, match="FIFO") as caught:
        write_atomically(fifo, b"x")
    assert isinstance(caught.value, OSError) and isinstance(caught.value, ValueError)
    assert stat.S_ISFIFO(os.lstat(fifo).st_mode) and leftovers(tmp_path) == []


@posix_only
def test_a_socket_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "s"
    server = socket.socket(socket.AF_UNIX)
    try:
        server.bind(str(path))
        with pytest.raises(NotRegularFileError, match="socket"):
            write_atomically(path, b"x")
        assert stat.S_ISSOCK(os.lstat(path).st_mode)
    finally:
        server.close()


@posix_only
@pytest.mark.skipif(not IS_ROOT, reason="making a device node needs root")
def test_a_device_like_dev_full_is_refused_and_stays_a_device(tmp_path: Path) -> None:
    # A private copy of /dev/full (character device 1, 7), so a failure cannot harm the real one.
    device = tmp_path / "full"
    os.mknod(device, stat.S_IFCHR | 0o666, os.makedev(1, 7))
    link = tmp_path / "link.json"
    link.symlink_to(device)
    for path in (device, link):
        with pytest.raises(NotRegularFileError, match="character device"):
            write_atomically(path, b"x")
        assert stat.S_ISCHR(os.stat(path).st_mode)
    assert leftovers(tmp_path) == []


@posix_only
def test_the_real_dev_full_is_refused() -> None:
    if not os.path.exists("/dev/full"):
        pytest.skip("no /dev/full here")
    with pytest.raises(NotRegularFileError, match="character device"):
        check_target("/dev/full")


@posix_only
def test_a_read_only_file_is_refused_even_for_root_and_keeps_its_contents(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    path.write_bytes(b"old")
    os.chmod(path, 0o444)
    with pytest.raises(PermissionError, match="read-only") as caught:
        write_atomically(path, b"new")
    assert caught.value.errno == errno.EACCES
    assert path.read_bytes() == b"old" and stat.S_IMODE(path.stat().st_mode) == 0o444
    assert leftovers(tmp_path) == []


@posix_only
@pytest.mark.skipif(not IS_ROOT, reason="needs root to switch to another user")
def test_a_file_we_may_not_write_is_refused_though_the_folder_is_writable() -> None:
    # root's 0644 file in a folder anyone may write to: another user could always rename over
    # it; write_atomically must refuse instead, as open(path, "w") would.
    with tempfile.TemporaryDirectory(dir="/tmp") as name:  # /tmp: every user may pass through
        folder = Path(name)
        os.chmod(folder, 0o777)
        _write_as_nobody(folder)


def _write_as_nobody(folder: Path) -> None:
    path = folder / "m.json"
    path.write_bytes(b"root's")
    os.chmod(path, 0o644)
    script = (
        "import os, sys\n"
        "from autograd._files import write_atomically\n"
        "os.setgroups([]); os.setgid(65534); os.setuid(65534)\n"
        "try:\n"
        f"    write_atomically({str(path)!r}, b'nobody')\n"
        "except PermissionError as error:\n"
        "    print('refused:', error); sys.exit(3)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 3, done.stderr
    assert "no write permission" in done.stdout
    assert path.read_bytes() == b"root's" and path.stat().st_uid == 0
    assert leftovers(folder) == []


def test_a_missing_folder_is_not_created_and_the_error_names_it(tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "m.json"
    with pytest.raises(FileNotFoundError, match="folder .*such.* does not exist") as caught:
        write_atomically(target, b"x")
    assert caught.value.errno == errno.ENOENT
    assert str(tmp_path / "no" / "such") in str(caught.value)
    assert not (tmp_path / "no").exists()


def test_a_folder_that_is_a_file_is_refused(tmp_path: Path) -> None:
    (tmp_path / "plain").write_bytes(b"")
    with pytest.raises(NotADirectoryError, match="not a folder"):
        write_atomically(tmp_path / "plain" / "m.json", b"x")


def test_draw_into_a_missing_folder_raises_file_not_found(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        draw(Value(1.0) * 2, tmp_path / "missing" / "g.dot")
    assert not (tmp_path / "missing").exists()


def test_save_through_a_symlink_keeps_the_link_and_loads_back(tmp_path: Path) -> None:
    if os.name != "posix":
        pytest.skip("POSIX symlinks")
    real = tmp_path / "checkpoints" / "m.json"
    real.parent.mkdir()
    MLP(2, [3, 1], seed=1).save(real)
    link = tmp_path / "latest.json"
    link.symlink_to(real)
    model = MLP(2, [3, 1], seed=2)
    model.save(link)
    assert link.is_symlink()
    other = MLP(2, [3, 1], seed=3)
    other.load(real)
    assert other.state_dict() == model.state_dict()


# ---- hard links: written in place, so every name sees the new contents ----


@posix_only
def test_a_file_with_two_hard_links_is_written_in_place_so_both_names_see_it(
    tmp_path: Path,
) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_bytes(b"old contents, longer than the new")
    os.chmod(first, 0o640)
    os.link(first, second)
    inode = first.stat().st_ino
    write_atomically(first, b"new")
    assert first.read_bytes() == second.read_bytes() == b"new"
    st = first.stat()
    assert (st.st_ino, st.st_nlink, stat.S_IMODE(st.st_mode)) == (inode, 2, 0o640)
    assert leftovers(tmp_path) == []


@posix_only
def test_a_failed_in_place_write_puts_the_old_bytes_back(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_bytes(b"old")
    os.link(first, second)

    def crash(fd: int) -> None:
        raise OSError(errno.EIO, "disk on fire")

    monkeypatch.setattr(os, "fsync", crash)
    with pytest.raises(OSError, match="disk on fire"):
        write_atomically(second, b"new and longer")
    monkeypatch.undo()
    assert first.read_bytes() == second.read_bytes() == b"old"
    assert leftovers(tmp_path) == []


# ---- durability and cleanup ----


@posix_only
def test_the_file_and_its_folder_are_both_flushed_to_disk(tmp_path: Path, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    kinds = []
    real_fsync = os.fsync

    def spy(fd: int) -> None:
        kinds.append("folder" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file")
        real_fsync(fd)

    monkeypatch.setattr(os, "fsync", spy)
    write_atomically(tmp_path / "m.json", b"x")
    assert kinds == ["file", "folder"]


@pytest.mark.parametrize("where", ["fsync", "replace", "interrupt"])
def test_every_failure_removes_the_temporary_file_and_keeps_the_old_one(
    tmp_path: Path, monkeypatch, where: str
) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "m.json"
    path.write_bytes(b"old")
    error: BaseException = KeyboardInterrupt() if where == "interrupt" else OSError("disk full")

    def crash(*args: object) -> None:
        raise error

    monkeypatch.setattr(os, "replace" if where == "replace" else "fsync", crash)
    with pytest.raises(type(error)):
        write_atomically(path, b"new")
    monkeypatch.undo()
    assert path.read_bytes() == b"old" and os.listdir(tmp_path) == ["m.json"]


def test_a_very_long_file_name_still_gets_a_temporary_beside_it(tmp_path: Path) -> None:
    path = tmp_path / ("n" * 250 + ".json")
    write_atomically(path, b"x")
    write_atomically(path, b"y")
    assert path.read_bytes() == b"y" and os.listdir(tmp_path) == [path.name]


SAVER = """
import os, sys
from nn import MLP
real_fsync = os.fsync
def stop(fd):
    real_fsync(fd)
    print("temporary written", flush=True)
    while True:
        os.kill(os.getpid(), 0)  # busy: waiting for the parent's kill -9
os.fsync = stop
MLP(2, [64, 64, 1], seed=3).save(sys.argv[1])
"""


def _kill_mid_save(path: Path) -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", SAVER, str(path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    assert child.stdout.readline().strip() == "temporary written"
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    child.stdout.close()
    assert child.returncode == -signal.SIGKILL


@posix_only
def test_after_kill_9_mid_save_the_next_save_removes_the_stale_temporary(tmp_path: Path) -> None:
    path = tmp_path / "m.json"
    MLP(2, [4, 1], seed=1).save(path)
    old = path.read_bytes()
    seen = set()
    for _ in range(3):
        _kill_mid_save(path)
        stale = leftovers(tmp_path)  # kill -9 gives the process no chance to clean up ...
        assert len(stale) == 1 and stale[0] not in seen  # ... but each save removed the last
        seen.add(stale[0])
        assert path.read_bytes() == old  # and the old file is whole
    MLP(2, [4, 1], seed=5).load(path)
    MLP(2, [4, 1], seed=2).save(path)
    assert leftovers(tmp_path) == [] and os.listdir(tmp_path) == ["m.json"]


@posix_only
def test_saves_killed_at_random_moments_leave_at_most_one_temporary_after_the_next_save(
    tmp_path: Path,
) -> None:
    path = tmp_path / "m.json"
    MLP(2, [64, 64, 1], seed=3).save(path)  # a whole file even if a kill comes before any save
    loop = "import sys\nfrom nn import MLP\nm = MLP(2, [64, 64, 1], seed=3)\nwhile True:\n"
    loop += "    m.save(sys.argv[1])\n"
    for delay in (0.3, 0.35, 0.4, 0.45, 0.5):
        child = subprocess.Popen(
            [sys.executable, "-c", loop, str(path)],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
        )
        time.sleep(delay)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    MLP(2, [64, 64, 1], seed=3).load(path)  # whatever moment each kill hit, the file is whole
    MLP(2, [4, 1], seed=1).save(path)
    assert os.listdir(tmp_path) == ["m.json"]


@posix_only
def test_a_temporary_still_being_written_by_another_process_is_left_alone(tmp_path: Path) -> None:
    import fcntl

    path = tmp_path / "m.json"
    busy = tmp_path / ".m.json.stepgrad-0123abcd.tmp"  # named as ours, and locked as ours are
    with open(busy, "wb") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        write_atomically(path, b"x")
        assert busy.exists()
    write_atomically(path, b"y")  # now no one holds it: it is stale
    assert not busy.exists() and path.read_bytes() == b"y"


def test_other_files_that_look_alike_are_never_removed(tmp_path: Path) -> None:
    keep = [".m.json.backup.tmp", ".m.json.original", "m.json.tmp", ".other.json.stepgrad-a.tmp"]
    for name in keep:
        (tmp_path / name).write_bytes(b"mine")
    write_atomically(tmp_path / "m.json", b"x")
    assert sorted(os.listdir(tmp_path)) == sorted([*keep, "m.json"])


# ---- callers: a demo makes its own --out folder, since writing no longer does ----


@pytest.mark.parametrize(
    "demo,argv",
    [
        ("graph", []),
        ("step_through", []),
        ("rnn", ["--steps", "1"]),
    ],
)
def test_a_demo_creates_its_out_folder_itself(tmp_path: Path, monkeypatch, demo: str, argv) -> None:  # type: ignore[no-untyped-def]
    import importlib

    out = tmp_path / "new" / "pictures"
    if demo == "rnn":  # without matplotlib, the drawing is the first thing rnn writes
        import demos.common

        monkeypatch.setattr(demos.common, "pyplot", lambda: None)
        monkeypatch.setattr(importlib.import_module("demos.rnn"), "pyplot", lambda: None)
    importlib.import_module(f"demos.{demo}").main([*argv, "--out", str(out)])
    assert out.is_dir() and any(out.iterdir())


@posix_only
def test_a_file_system_without_locks_still_gets_its_file_written(
    tmp_path: Path, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    import fcntl

    def no_locks(fd: int, operation: int) -> None:
        raise OSError(errno.ENOLCK, "No locks available")

    monkeypatch.setattr(fcntl, "flock", no_locks)
    write_atomically(tmp_path / "m.json", b"x")
    write_atomically(tmp_path / "m.json", b"y")
    assert (tmp_path / "m.json").read_bytes() == b"y" and os.listdir(tmp_path) == ["m.json"]


def test_a_path_through_an_open_file_descriptor_is_refused(tmp_path) -> None:  # type: ignore[no-untyped-def]
    # found by review: save("/dev/stdout") with stdout redirected replaced the log file
    import subprocess
    import sys

    log = tmp_path / "log.txt"
    script = (
        "from nn import MLP\n"
        "print('before', flush=True)\n"
        "try:\n"
        "    MLP(1, [1], seed=0).save('/dev/stdout')\n"
        "except ValueError as error:\n"
        "    print('refused:', type(error).__name__, flush=True)\n"
        "print('after', flush=True)\n"
    )
    with open(log, "w") as out:
        subprocess.run([sys.executable, "-c", script], stdout=out, check=True, timeout=60)
    assert log.read_text().splitlines() == ["before", "refused: NotRegularFileError", "after"]
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )  # stdout a pipe
    assert "refused: NotRegularFileError" in done.stdout
