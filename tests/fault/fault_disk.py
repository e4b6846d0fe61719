"""Small file systems of a fault test's own, and a ballast file that fills one."""

import contextlib
import errno
import os
import subprocess

from fault_load import check
from fault_pg import Skip


@contextlib.contextmanager
def small_disk(folder, name, size):
    """`folder`/`name` as a tmpfs of its own of `size` ("128m"), unmounted on the way out.
    Skip where mounting is not allowed."""
    path = os.path.join(folder, name)
    os.makedirs(path, exist_ok=True)
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=" + size, "tmpfs", path],
                          capture_output=True, text=True, timeout=30)
    if done.returncode != 0:
        raise Skip("cannot mount a tmpfs (%s)" % (done.stderr.strip() or done.returncode))
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", path], capture_output=True, timeout=30)


def fill(folder):
    """A ballast file that takes every free byte of `folder`'s file system; returns its path
    and size."""
    path = os.path.join(folder, "ballast")
    block = b"\0" * (1 << 20)
    written = 0
    with open(path, "wb", buffering=0) as f:
        while True:
            try:
                written += f.write(block)
            except OSError as e:
                check(e.errno == errno.ENOSPC, "filling the disk: %s" % e)
                break
        # The last partial block: what is left, in small pieces.
        small = b"\0" * 4096
        while True:
            try:
                written += f.write(small)
            except OSError:
                break
    return path, written
