"""The notifier's use cases, one module per job: reminders (when and to whom), rejection
notices, delivery (channels, retries, dead letters) and each unit's contacts."""
