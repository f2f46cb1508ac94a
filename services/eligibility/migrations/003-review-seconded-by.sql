-- A decision taken under four eyes in the back-office (an approval despite a fraud signal): the second person,
-- never the first, recorded beside the operator who decided.
ALTER TABLE review_decisions
    ADD COLUMN seconded_by text CHECK (seconded_by <> '' AND seconded_by <> operator);
