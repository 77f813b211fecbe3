-- A thread dump series takes several dumps, `seconds` apart: how many.
ALTER TABLE captures ADD COLUMN dumps INTEGER NOT NULL DEFAULT 1;
