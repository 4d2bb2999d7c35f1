"""Keep freed array buffers in the process so that a training step does not
page-fault its memory back in every time.

Why: each training step frees and re-allocates the same large temporaries
(activations, gate buffers, im2col columns). glibc serves allocations above its
mmap threshold (128 KiB at start) with fresh mmap'd pages and gives them back on
free, so every step touches new pages: an LSTM step (seq 35, batch 32, hidden
128) took ~1,450 minor page faults, and LeNet's ~1,080, at a few microseconds
each (LSTM 12.9 -> 7.6 ms per step without them, measured on a 2-core VM).
glibc raises its thresholds by itself as large blocks are freed, up to 32 MiB
(and trims the heap above twice that), but only late and not for every pattern.
`tune()` sets those same final values from the start. Peak memory is unchanged
(the pages are reused, not added: peak RSS +1 MB on those two steps); the
process just keeps what it already used. Blocks over 32 MiB are still mmap'd
and returned at once.

Skipped when not on glibc, when the user set any ``MALLOC_*_`` variable
(their choice wins), or with ``TAPEGRAD_MALLOC_TUNING=0``.
"""
import os

_M_TRIM_THRESHOLD = -1      # mallopt parameter numbers, from glibc's <malloc.h>
_M_MMAP_THRESHOLD = -3
MMAP_THRESHOLD = 32 << 20   # glibc's DEFAULT_MMAP_THRESHOLD_MAX on 64-bit
TRIM_THRESHOLD = 64 << 20   # glibc keeps trim at twice the mmap threshold

_state = {'tuned': None}    # None: not tried yet; then True/False


def _glibc():
    try:
        return os.confstr('CS_GNU_LIBC_VERSION') is not None
    except (AttributeError, ValueError, OSError):
        return False


def wanted():
    """Whether tuning applies here: glibc, no user malloc settings, not opted out."""
    if os.environ.get('TAPEGRAD_MALLOC_TUNING', '1').strip().lower() in ('0', 'false', 'no', 'off'):
        return False
    if any(k.startswith('MALLOC_') and k.endswith('_') for k in os.environ):
        return False
    return _glibc()


def tune():
    """Apply the thresholds once per process; returns whether they are in effect."""
    if _state['tuned'] is None:
        ok = False
        if wanted():
            try:
                import ctypes              # already imported by NumPy: costs nothing here
                mallopt = ctypes.CDLL(None).mallopt
                ok = bool(mallopt(_M_MMAP_THRESHOLD, MMAP_THRESHOLD)) and \
                    bool(mallopt(_M_TRIM_THRESHOLD, TRIM_THRESHOLD))
            except (OSError, AttributeError):
                ok = False
        _state['tuned'] = ok
    return _state['tuned']


def tuned():
    """True when `tune()` changed this process's malloc settings."""
    return bool(_state['tuned'])
