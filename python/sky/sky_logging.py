"""Logging as SkyPilot sets it up: the ``sky`` logger writes to stdout,
INFO and above (DEBUG with ``SKYPILOT_DEBUG=1``), without a prefix unless
debugging or ``SKYPILOT_MINIMIZE_LOGGING=0``."""
import logging
import os
import sys

_FORMAT = ('%(levelname).1s %(asctime)s.%(msecs)03d PID=%(process)d '
           '%(filename)s:%(lineno)d] %(message)s')
_DATE_FORMAT = '%m-%d %H:%M:%S'

DEBUG = logging.DEBUG
INFO = logging.INFO
WARNING = logging.WARNING
ERROR = logging.ERROR
CRITICAL = logging.CRITICAL


def _env_flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.lower() in ('1', 'true', 'yes')


class _StdoutHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stdout`` is when a record is emitted."""

    def __init__(self) -> None:
        super().__init__(sys.stdout)

    @property
    def stream(self):  # type: ignore[override]
        return sys.stdout

    @stream.setter
    def stream(self, value) -> None:
        del value  # Always the current sys.stdout.


class _NewLineFormatter(logging.Formatter):
    """Repeats the prefix on every line of a multi-line message."""

    def format(self, record: logging.LogRecord) -> str:
        msg = super().format(record)
        if record.message != '':
            prefix = msg.partition(record.message)[0]
            msg = msg.replace('\n', '\r\n' + prefix)
        return msg


_root_logger = logging.getLogger('sky')
_default_handler = None


def _setup_logger() -> None:
    global _default_handler
    debug = _env_flag('SKYPILOT_DEBUG', False)
    _root_logger.setLevel(logging.DEBUG)
    if _default_handler is None:
        _default_handler = _StdoutHandler()
        _root_logger.addHandler(_default_handler)
    _default_handler.setLevel(logging.DEBUG if debug else logging.INFO)
    show_prefix = debug or not _env_flag('SKYPILOT_MINIMIZE_LOGGING', True)
    _default_handler.setFormatter(
        _NewLineFormatter(_FORMAT if show_prefix else None,
                          datefmt=_DATE_FORMAT))
    _root_logger.propagate = False


def reload_logger() -> None:
    """Re-reads ``SKYPILOT_DEBUG`` and friends."""
    _setup_logger()


def init_logger(name: str) -> logging.Logger:
    return logging.getLogger(name)


_setup_logger()
