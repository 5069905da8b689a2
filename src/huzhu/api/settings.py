"""The API's settings are huzhu's settings (`huzhu.settings`); kept so that imports still work."""

from huzhu.settings import Settings, SettingsError, load

__all__ = ["Settings", "SettingsError", "load"]
