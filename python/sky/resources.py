"""``sky.Resources`` (implemented in Rust: ``sky._sky.Resources``)."""
from sky._sky import Resources

__all__ = ['Resources']
