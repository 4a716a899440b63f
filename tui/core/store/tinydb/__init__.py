"""The TinyDB backend: TinyDB's file format, journaled, locked and shared between processes."""

from .store import TinyDBStore

__all__ = ["TinyDBStore"]
