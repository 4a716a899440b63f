"""`desk import FORMAT`: one module per source format (zendesk, freshdesk, csv), each turning
an export into desk's tickets, customers and ticket events (issue 15). Nothing is here yet."""
