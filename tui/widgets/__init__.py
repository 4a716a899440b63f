"""The panes of the workspace."""

from .customer_history import CustomerPane
from .queue import QueueList
from .queue_panel import FilterInput, QueuePanel
from .status_bar import StatusBar
from .ticket_detail import TicketDetail

__all__ = ["CustomerPane", "FilterInput", "QueueList", "QueuePanel", "StatusBar", "TicketDetail"]
