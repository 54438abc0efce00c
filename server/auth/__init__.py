"""Authentication (bearer tokens), roles and region scope."""

from server.auth.guard import current_device, current_token, current_user, login_required

__all__ = ["current_device", "current_token", "current_user", "login_required"]
