"""HTTP service (needs the ``serve`` extra: ``pip install 'emoscope[serve]'``)."""

from .app import ServeSettings, create_app

__all__ = ["ServeSettings", "create_app"]
