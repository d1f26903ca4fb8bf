-- A reminder or escalation scheduled before the unit's report arrived must not go out after it:
-- the notifier's verdict consumer marks such rows cancelled, and the relay claims only rows that
-- are neither sent nor cancelled. A row already claimed is locked, so a cancellation waits for
-- the send to commit and then finds the row sent: a notice is either sent or cancelled, never both.
ALTER TABLE notifications ADD COLUMN cancelled_at timestamptz;
ALTER TABLE notifications ADD CHECK (sent_at IS NULL OR cancelled_at IS NULL);
DROP INDEX notifications_unsent;
CREATE INDEX notifications_unsent ON notifications (created_at)
    WHERE sent_at IS NULL AND cancelled_at IS NULL;
