"""mmlock's web face: FastAPI routes, view models and templates over the engine."""
