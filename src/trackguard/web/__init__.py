"""The web layer: a FastAPI app built by `trackguard.web.app.create_app(runtime)`."""
