"""The wall display: a tile per room of a site, dark, self-updating, for a screen read from across the room."""

from dashboards.wall.routes import router

__all__ = ["router"]
