"""Importers: one module per format reads a source into `records.InTicket`s (csv_format.py,
zendesk.py, freshdesk.py); `landing.py` writes them into the store; `run.py` checks a file
whole before writing it, keeping the checked tickets in `spill.py` between the two passes;
`derived.py` holds what is derived from a ticket without the models (stable ids, the facts
the spill keeps)."""
