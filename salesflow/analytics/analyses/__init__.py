"""The analyses of the analytics module; importing this package registers them."""

from . import diagnosis, forecast, funnel, kpis, pipeline  # noqa: F401
