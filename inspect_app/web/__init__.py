"""Web layer: thin Flask blueprints over the services."""
