"""The file side of ag.save / ag.load: atomic writes, and a zip reader that trusts nothing.

Writing: a temporary file beside the target, created with mode 0o666 so the
umask applies as for any new file (an existing target's mode is kept), filled,
fsynced and renamed over the target (``os.replace``), so a crash never leaves a
half-written checkpoint. Temporary files are named
``.<name>.tapegrad-<host>-<pid>-<random>.tmp``; ones left by a writer that was
killed (its process is gone, or the file is a day old) are removed by the next
save into the same folder. Nothing else is ever removed.

Reading: one .npz member at a time, straight into the array that will hold it
(no copy of the file in memory: peak about 1x the file's size), after checking
its header against the member's real size: a header claiming terabytes, an
object (pickle) dtype, or a member compressed beyond what zlib can do is
refused before anything is allocated.
"""
import os
import re
import stat
import time

import numpy as np

STALE_AFTER_S = 24 * 3600
_CHUNK = 1 << 20                      # bytes read per call: bounds the temporary copy
_ZLIB_MAX_RATIO = 1100                # deflate expands at most ~1032x
# our temporary files' names; a pattern string, compiled on first use (import stays cheap)
_TMP = r"^\..+\.tapegrad-(?P<host>[A-Za-z0-9-]*)-(?P<pid>\d+)-[0-9a-f]{8}\.tmp$"
TENSOR_KINDS = "biufc"                # dtypes a Tensor can hold
ARRAY_KINDS = "biufcUS"               # plus fixed-width strings for plain NumPy arrays


class CheckpointError(ValueError):
    """A file that is not a readable checkpoint (truncated, corrupt, hostile or another format)."""


def _host():
    return re.sub(r"[^A-Za-z0-9-]", "-", os.uname().nodename if hasattr(os, "uname") else "host")


# ----------------------------------------------------------------------- writing
def write_atomic(path, write):
    """Call ``write(fileobj)`` on a temporary file, then rename it over ``path``."""
    folder = os.path.dirname(os.path.abspath(path))
    clean_stale_temps(folder)
    tmp = os.path.join(folder, f".{os.path.basename(path)}.tapegrad-{_host()}-{os.getpid()}-"
                               f"{os.urandom(4).hex()}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        try:
            os.chmod(tmp, stat.S_IMODE(os.stat(path).st_mode))   # overwriting: keep the mode
        except FileNotFoundError:
            pass
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    _fsync_dir(folder)


def _fsync_dir(folder):
    try:                    # make the rename itself durable (POSIX; not possible everywhere)
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _alive(pid):
    if os.name != "posix":
        return True                     # no cheap check: only age decides
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:                     # another user's process
        return True
    return True


def clean_stale_temps(folder):
    """Remove our own temporary files whose writer died (same host, no such pid) or that
    are a day old; every other file, and a live writer's file, is left alone."""
    try:
        names = [n for n in os.listdir(folder) if n.endswith(".tmp") and n.startswith(".")]
    except OSError:
        return
    host, now = _host(), time.time()
    for name in names:
        m = re.match(_TMP, name)
        if m is None:
            continue
        full = os.path.join(folder, name)
        try:
            old = now - os.lstat(full).st_mtime > STALE_AFTER_S
            if old or (m["host"] == host and not _alive(int(m["pid"]))):
                os.unlink(full)
        except OSError:                 # gone meanwhile, or not ours to remove
            pass


# ----------------------------------------------------------------------- reading
def check_member(zf, info, total_size, fail, kinds=ARRAY_KINDS):
    """Open .npz member ``info`` and check its header against its real size before
    anything is allocated: (open member stream, shape, fortran order, dtype, nbytes).

    ``total_size`` is the archive's size in bytes (None when unknown): a member
    can't hold more than the file does; ``fail(msg)`` makes the exception."""
    import zipfile
    import numpy.lib.format as fmt
    name = info.filename
    if info.compress_type == zipfile.ZIP_STORED:
        if info.file_size != info.compress_size or (total_size is not None and info.file_size > total_size):
            raise fail(f"member {name!r} claims {info.file_size} bytes, more than the file holds")
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        if info.file_size > info.compress_size * _ZLIB_MAX_RATIO:
            raise fail(f"member {name!r} claims {info.file_size} bytes from {info.compress_size} "
                       "compressed ones, more than zlib can expand (a zip bomb?)")
    else:
        raise fail(f"member {name!r} uses zip compression method {info.compress_type}; only stored "
                   "and deflated members are read")
    m = zf.open(info)
    try:
        try:
            version = fmt.read_magic(m)
            header = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
            shape, fortran, dtype = header(m)
        except (ValueError, TypeError, SyntaxError, EOFError) as e:
            raise fail(f"member {name!r} has no valid .npy header ({e})") from e
        if dtype.hasobject:
            raise fail(f"member {name!r} holds Python objects (dtype {dtype}), which need pickle; "
                       "it is never unpickled (loading never executes code from a file)")
        if dtype.kind not in kinds or dtype.names is not None:
            raise fail(f"member {name!r} has dtype {dtype}, which "
                       + ("a Tensor can't hold" if kinds == TENSOR_KINDS else "a checkpoint never holds"))
        nbytes = dtype.itemsize
        for n in shape:
            nbytes *= int(n)
        if m.tell() + nbytes != info.file_size:
            raise fail(f"member {name!r}: its header claims shape {tuple(shape)} of {dtype} "
                       f"({nbytes} bytes) but the member holds {info.file_size - m.tell()} bytes "
                       "(truncated or corrupt)")
    except BaseException:
        m.close()
        raise
    return m, shape, fortran, dtype, nbytes


def read_member(zf, info, total_size, fail, kinds=ARRAY_KINDS):
    """The array in .npz member ``info``, read in place after ``check_member``
    (zipfile hands out bytes: one chunk's copy at a time, zipfile checking the CRC)."""
    m, shape, fortran, dtype, nbytes = check_member(zf, info, total_size, fail, kinds)
    flat = np.empty(nbytes // dtype.itemsize if dtype.itemsize else 0, dtype)
    view = memoryview(flat.view(np.uint8)) if nbytes else memoryview(b"")
    with m:
        pos = 0
        while pos < nbytes:
            got = m.readinto(view[pos:pos + _CHUNK])
            if not got:
                raise fail(f"member {info.filename!r} ends after {pos} of {nbytes} bytes (truncated)")
            pos += got
    if not dtype.isnative:
        flat = flat.astype(dtype.newbyteorder("="))
    return flat.reshape(shape[::-1]).T if fortran else flat.reshape(shape)
