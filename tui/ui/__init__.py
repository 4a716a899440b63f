"""Pieces every widget and screen shares: bindings, cross-pane messages, safe text, and the
one adapter over Textual's and Rich's private API."""
