"""xuncha server: the Flask app, domain services and the hazard register."""

from server.app import create_app

__all__ = ["create_app"]
