"""HTTP API of the registry: routes translate requests into commands and nothing more."""

from ocop_registry.entrypoints.api import entities, imports, products, public

routers = [entities.router, products.router, public.router, imports.router]
__all__ = ["routers"]
