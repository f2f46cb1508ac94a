-- The back-office's commands name two people where four eyes are required (a dead letter replayed, a blocked payment
-- released): the second one, never the first, is recorded beside the operator who asked.
ALTER TABLE dead_letter_actions ADD COLUMN seconded_by text CHECK (seconded_by <> '' AND seconded_by <> operator);
ALTER TABLE set_aside_items ADD COLUMN seconded_by text CHECK (seconded_by <> '' AND seconded_by <> decided_by);
