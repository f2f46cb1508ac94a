-- "Is this company already paid or in line?" is asked for every batch of approvals; without this index the
-- question read the whole waitlist, which holds most claims once an envelope is spent.
CREATE INDEX waitlist_company ON waitlist (programme, siren);
