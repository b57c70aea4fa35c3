ALTER TABLE expenses ADD COLUMN amount_cents bigint;
UPDATE expenses SET amount_cents = round(amount * 100);
ALTER TABLE expenses ALTER COLUMN amount_cents SET NOT NULL;
ALTER TABLE expenses DROP COLUMN amount;
