"""Managed jobs (``sky.jobs``)."""
from sky.jobs.state import ManagedJobStatus

__all__ = ['ManagedJobStatus']
