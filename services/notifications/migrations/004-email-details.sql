-- Issue 19: what a control's or a recovery order's e-mail repeats besides its reasons and amount (the reply date,
-- the order's due date, payment reference and the account to pay to, the reminder's number), as payments announced
-- it. No personal data: the account is the public creditor's, the firm is named by the claim's contact.
ALTER TABLE emails ADD COLUMN details jsonb NOT NULL DEFAULT '{}'::jsonb;
