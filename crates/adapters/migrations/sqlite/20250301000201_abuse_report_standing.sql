-- Abuse reports count against a photo's owner only when the reporter has standing
-- (a photo of its own was ready before it reported) and its client address has not
-- already brought too many counted reporters that day. Device ids are self-asserted:
-- without this, a handful of made-up ids could block anyone.
ALTER TABLE abuse_reports ADD COLUMN client_address TEXT;
ALTER TABLE abuse_reports ADD COLUMN reporter_standing INTEGER NOT NULL DEFAULT 0;
ALTER TABLE abuse_reports ADD COLUMN counts INTEGER NOT NULL DEFAULT 0;

-- Reports filed before the policy: their standing as it can still be told; their
-- address is unknown, so they count when the reporter had standing.
UPDATE abuse_reports SET reporter_standing = EXISTS (
    SELECT 1 FROM photos p
    WHERE p.device_id = abuse_reports.reporter_device_id
      AND p.status = 'ready' AND p.updated_at <= abuse_reports.created_at
);
UPDATE abuse_reports SET counts = reporter_standing;

-- The per-address quota: counted reporters of one address in a time window.
CREATE INDEX abuse_reports_by_address ON abuse_reports (client_address, created_at);
-- Standing: the ready photos of one device.
CREATE INDEX photos_by_device_status ON photos (device_id, status);
