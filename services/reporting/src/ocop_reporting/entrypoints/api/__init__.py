"""HTTP API of reporting: targets and activity reports in; progress, overview, national figures,
exports (CSV/XLSX), OpenMetrics and the dashboard out. One router per resource."""

from ocop_reporting.entrypoints.api import activities, dashboard, exports, metrics, reports, targets

routers = [
    targets.router,
    activities.router,
    reports.router,
    exports.router,
    metrics.router,
    dashboard.router,
]
__all__ = ["routers"]
