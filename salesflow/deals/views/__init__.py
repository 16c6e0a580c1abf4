"""Pages of the deals module, one module per part: catalog, quotes, contracts, orders and
receivables. Reads go through ``selectors`` (outside scope: 404), writes through ``services``."""
