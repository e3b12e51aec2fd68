"""Small helpers every ui room may use (background tasks whose failures are logged); no widgets."""
