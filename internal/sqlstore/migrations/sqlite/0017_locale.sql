-- The language of an invitation's, join link's or app invite's pages and
-- messages (issue 17): a BCP 47 tag in canonical form, '' when it names
-- none (then the organization's default_locale, a setting, decides).
ALTER TABLE invitations ADD COLUMN locale TEXT NOT NULL DEFAULT '';
ALTER TABLE join_links ADD COLUMN locale TEXT NOT NULL DEFAULT '';
ALTER TABLE app_invites ADD COLUMN locale TEXT NOT NULL DEFAULT '';
