"""HTTP API of promotion: the newly-starred feed (paged and live), subscriptions with signed
webhooks, fairs, showrooms and sales points, online listings and media activities. Each
resource has its router here and its request and response models in ``schemas``; ``deps``
composes the services and checks who is calling."""

from ocop_promotion.entrypoints.api import (
    activities,
    fairs,
    feed,
    listings,
    products,
    showrooms,
    subscriptions,
)

routers = [
    feed.router,
    subscriptions.router,
    fairs.router,
    showrooms.router,
    listings.router,
    products.router,
    activities.router,
]
__all__ = ["routers"]
