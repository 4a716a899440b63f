"""Importers: one module per format reads a source into `records.InTicket`s (csv_format.py,
zendesk.py, freshdesk.py); `landing.py` writes them into the store; `run.py` checks a file
whole before writing it."""
