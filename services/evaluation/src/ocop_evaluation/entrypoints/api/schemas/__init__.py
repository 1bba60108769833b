"""What the API returns, per resource (``response_model`` of every route)."""
