"""The running app: DeskApp, which wires the screens to the store, and its runtime (the quiet
input driver, the store and presence watches, garbage collection in pauses, the work stream)."""

from .desk_app import DeskApp

__all__ = ["DeskApp"]
