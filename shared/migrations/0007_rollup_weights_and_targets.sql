-- Province rollups keep what the new aggregation types need: the sum of the weights behind each
-- weighted mean (sums then holds the sum of value x weight), and per derived indicator with a
-- target, how many units meet it and how many miss it ({"code": [met, missed]}).
ALTER TABLE province_rollups ADD COLUMN weights jsonb NOT NULL DEFAULT '{}';
ALTER TABLE province_rollups ADD COLUMN targets jsonb NOT NULL DEFAULT '{}';
