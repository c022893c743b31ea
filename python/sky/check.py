"""``sky.check``: which clouds have credentials, as ``sky check`` reports.

The checks are Rust (``src/check``); the enabled clouds are cached in
``~/.sky/stix/enabled_clouds.json``. ``STIX_ASSUME_ENABLED=aws,gcp`` makes
clouds count as enabled without a check.
"""
from typing import Dict, Iterable, List, Optional

from sky import _sky


def check(quiet: bool = False,
          verbose: bool = False,
          clouds: Optional[Iterable[str]] = None,
          workspace: Optional[str] = None) -> Dict[str, Dict[str, List[str]]]:
    """Checks credentials; returns ``{workspace: {cloud: capabilities}}``."""
    del verbose
    enabled = _sky.check_clouds(None if clouds is None else list(clouds),
                                quiet)
    return {workspace or 'default': dict(enabled)}


def get_cached_enabled_clouds_or_refresh(capability=None,
                                         raise_if_no_cloud_access=False):
    """The enabled clouds (checking first if nothing is cached)."""
    del capability
    from sky import clouds as clouds_lib  # pylint: disable=import-outside-toplevel
    from sky import exceptions  # pylint: disable=import-outside-toplevel
    names = _sky.enabled_clouds()
    if raise_if_no_cloud_access and not names:
        raise exceptions.NoCloudAccessError(
            'Cloud access is not set up. Run: \x1b[1msky check\x1b[0m')
    return [clouds_lib._from_name(n) for n in names]  # pylint: disable=protected-access
