"""The unit registry: Central, 34 provinces, 3,321 communes, with history."""

from shared.registry.model import CENTRAL_CODE, Registry, Unit

__all__ = ["CENTRAL_CODE", "Registry", "Unit"]
