"""A small file system of its own for a test's SQLite database, to make read-only or full.

Root ignores file modes, so ``chmod`` cannot make a file read-only for a server
running as root; a read-only mount can, and a tmpfs of a few megabytes fills up
in a moment. Mounting needs root: without it the test is skipped, saying so.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

MOUNT_TIMEOUT = 10.0


def _mount(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["mount", *args],
        capture_output=True,
        text=True,
        timeout=MOUNT_TIMEOUT,
        check=False,
    )


@contextmanager
def small_disk(folder: Path, size: str = "8m") -> Iterator[Path]:
    """A tmpfs of ``size`` mounted on ``folder`` (created) for the block; unmounted after."""
    if os.geteuid() != 0:
        pytest.skip("needs root to mount a small tmpfs (read-only and full disks are emulated)")
    folder.mkdir()
    mounted = _mount("-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(folder))
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        unmounted = subprocess.run(
            ["umount", str(folder)],
            capture_output=True,
            timeout=MOUNT_TIMEOUT,
            check=False,
        )
        if unmounted.returncode != 0:  # something still holds a file: detach it anyway
            subprocess.run(["umount", "-l", str(folder)], timeout=MOUNT_TIMEOUT, check=False)


def remount(folder: Path, mode: str) -> None:
    """Make the small disk read-only (``"ro"``) or writable again (``"rw"``).

    Linux refuses ``ro`` while a process holds a file open for writing, so a
    server using the database must be stopped (or killed) first.
    """
    changed = _mount("-o", f"remount,{mode}", str(folder))
    assert changed.returncode == 0, changed.stderr


def fill(folder: Path) -> Path:
    """Take every free byte of the small disk with one file; return it (delete it to free)."""
    filler = folder / "filler"
    free = os.statvfs(folder)
    descriptor = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.posix_fallocate(descriptor, 0, free.f_bavail * free.f_frsize)
        with pytest.raises(OSError, match="No space left") as full:
            os.lseek(descriptor, 0, os.SEEK_END)
            os.write(descriptor, b"x" * (1 << 20))
    finally:
        os.close(descriptor)
    assert full.value.errno == errno.ENOSPC
    return filler
