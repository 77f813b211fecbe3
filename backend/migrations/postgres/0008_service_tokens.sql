-- A token may be bound to one service: it then only pushes that service's events.
ALTER TABLE api_tokens ADD COLUMN service TEXT;
