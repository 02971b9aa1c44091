"""TensorFlow, imported on demand: quiet logs, device choice, versions.

Nothing here imports TensorFlow at module level; `tensorflow()` does it the
first time it is called, after silencing the C++ log unless verbose.
"""

from __future__ import annotations

import contextlib
import logging
import os
import platform
import sys
from collections.abc import Iterator
from typing import Any

from rnncli.errors import TrainingError

_VERBOSE = False


def set_verbose(verbose: bool) -> None:
    global _VERBOSE
    _VERBOSE = verbose


def verbose() -> bool:
    """Whether `rnncli --verbose` was given."""
    return _VERBOSE


@contextlib.contextmanager
def _quiet_stderr() -> Iterator[None]:
    """Send file descriptor 2 to /dev/null for the duration (C++ code writes there directly)."""
    try:
        sys.stderr.flush()
        saved = os.dup(2)
    except (OSError, ValueError):  # no real stderr (some test runners): nothing to silence
        yield
        return
    devnull = os.open(os.devnull, os.O_WRONLY)
    try:
        os.dup2(devnull, 2)
        yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)
        os.close(devnull)


def tensorflow() -> Any:
    """Import TensorFlow with its log noise silenced (unless --verbose)."""
    if not _VERBOSE:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
        os.environ.setdefault("TF_ENABLE_ONEDNN_OPTS", "0")
        logging.getLogger("absl").setLevel(logging.ERROR)
    if _VERBOSE or "tensorflow" in sys.modules:
        import tensorflow as tf
    else:
        with _quiet_stderr():  # TF 2.21's C++ (absl) log ignores TF_CPP_MIN_LOG_LEVEL at import
            import tensorflow as tf

    if not _VERBOSE:
        tf.get_logger().setLevel(logging.ERROR)
        tf.autograph.set_verbosity(0)
    return tf


def gpus() -> list[str]:
    tf = tensorflow()
    return [d.name for d in tf.config.list_physical_devices("GPU")]


def select_device(choice: str) -> str:
    """Apply --device auto|cpu|gpu before any op runs; return a description of the device used."""
    tf = tensorflow()
    found = tf.config.list_physical_devices("GPU")
    if choice == "gpu" and not found:
        raise TrainingError(
            "--device gpu: TensorFlow sees no GPU on this machine; install the 'gpu' extra "
            "(pip install 'rnncli[gpu]') on a machine with an NVIDIA driver, or use --device cpu"
        )
    if choice == "cpu" or not found:
        with contextlib.suppress(RuntimeError):  # already initialised: keep what TF has
            tf.config.set_visible_devices([], "GPU")
        return f"CPU ({platform.processor() or platform.machine()})"
    details = tf.config.experimental.get_device_details(found[0])
    name = details.get("device_name", found[0].name)
    return f"GPU ({name})" + (f" + {len(found) - 1} more" if len(found) > 1 else "")


def op_threads(threads: int) -> int:
    """Run each TensorFlow op on at most `threads` threads, if no op has run yet; the number
    in force (0: TensorFlow's default, one per core)."""
    tf = tensorflow()
    with contextlib.suppress(RuntimeError):  # initialised already: keep what it has
        tf.config.threading.set_intra_op_parallelism_threads(threads)
    return int(tf.config.threading.get_intra_op_parallelism_threads())


def info() -> dict[str, Any]:
    """Versions and the devices TensorFlow sees."""
    from rnncli import __version__

    tf = tensorflow()
    import keras

    devices = []
    for d in tf.config.list_physical_devices():
        entry = {"type": d.device_type, "name": d.name}
        if d.device_type == "GPU":
            details = tf.config.experimental.get_device_details(d)
            entry["model"] = details.get("device_name", "")
        devices.append(entry)
    return {
        "rnncli": __version__,
        "python": sys.version.split()[0],
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "built_with_cuda": bool(tf.test.is_built_with_cuda()),
        "devices": devices,
    }
