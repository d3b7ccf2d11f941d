-- Issue 13 (D1): the secrets the service must read back to use, the
-- private keys acceptance tickets are signed with and webhook endpoints'
-- signing secrets, are sealed with the configured encryption keys
-- (INVITED_ENCRYPTION_KEYS), like apps' client secrets: in the _sealed
-- column, for the contexts "signing_key:<id>:private_key" and
-- "webhook:<id>:secret". Without keys they stay in the plain column; the
-- first start with keys seals them. Exactly one of the two is set.
ALTER TABLE signing_keys ALTER COLUMN private_key DROP NOT NULL;
ALTER TABLE signing_keys ADD COLUMN private_key_sealed TEXT;
ALTER TABLE signing_keys ADD CHECK ((private_key IS NULL) <> (private_key_sealed IS NULL));

ALTER TABLE webhooks ALTER COLUMN secret DROP NOT NULL;
ALTER TABLE webhooks ADD COLUMN secret_sealed TEXT;
ALTER TABLE webhooks ADD CHECK ((secret IS NULL) <> (secret_sealed IS NULL));
