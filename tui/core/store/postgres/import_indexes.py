"""Schema 6: the indexes `desk import` looks records up by
(import_writer.py): a ticket by its source id, a customer by source id or email (lower
case, as the importers match it). Partial: desk's own tickets and customers have no source
id, and many customers no email. IF NOT EXISTS: an upgrade run again changes nothing."""

UPGRADE = """
CREATE INDEX IF NOT EXISTS tickets_source_id ON tickets ((doc->>'source_id'))
    WHERE (doc->>'source_id') IS NOT NULL;
CREATE INDEX IF NOT EXISTS customers_source_id ON customers ((doc->>'source_id'))
    WHERE (doc->>'source_id') IS NOT NULL;
CREATE INDEX IF NOT EXISTS customers_email ON customers ((lower(doc->>'email')))
    WHERE (doc->>'email') IS NOT NULL;
"""
