"""The screens of desk."""

from .compose import ComposeScreen
from .conflict import ConflictScreen
from .help import HelpScreen
from .main import MainScreen
from .pickers import PickerScreen, TagsScreen

__all__ = ["ComposeScreen", "ConflictScreen", "HelpScreen", "MainScreen", "PickerScreen",
           "TagsScreen"]
