"""The portal's routes, one module per page or concern."""
