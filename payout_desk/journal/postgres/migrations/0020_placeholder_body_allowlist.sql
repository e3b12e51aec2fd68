-- Team journal, version 20: a placeholder in branch sod only, so that its 0021 applies in order. The number
-- belongs to body-allowlist (team-contracts.md); on merge the lead keeps body-allowlist's 0020 and drops this file.
-- It changes nothing: a temporary table dropped when the migration's transaction commits.
CREATE TEMPORARY TABLE placeholder_20 ON COMMIT DROP AS SELECT 1 AS nothing;
