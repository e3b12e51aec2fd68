-- Team journal, version 1: the app's roles, the schema and its tables.
-- Run by `payout-desk-admin migrate` as a superuser (or the database owner with CREATEROLE), inside one
-- transaction under the migration advisory lock. Objects belong to payout_desk_owner (NOLOGIN, not a
-- superuser): the SECURITY DEFINER functions run with its rights and nobody logs in as it.

DO $$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['payout_desk_owner', 'payout_desk_preparer', 'payout_desk_viewer',
                             'payout_desk_admin', 'payout_desk_agent']
    LOOP
        IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            EXECUTE format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
END
$$;

CREATE EXTENSION IF NOT EXISTS pg_trgm;  -- trusted since PostgreSQL 13; lives in public

CREATE SCHEMA payout_desk AUTHORIZATION payout_desk_owner;
REVOKE ALL ON SCHEMA payout_desk FROM PUBLIC;
GRANT USAGE ON SCHEMA payout_desk
    TO payout_desk_preparer, payout_desk_viewer, payout_desk_admin, payout_desk_agent;
-- Functions are executable by PUBLIC unless revoked: none of ours is.
ALTER DEFAULT PRIVILEGES FOR ROLE payout_desk_owner IN SCHEMA payout_desk REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

SET LOCAL ROLE payout_desk_owner;
SET LOCAL search_path = payout_desk, public, pg_catalog;

CREATE TABLE schema_migrations (
    version     integer     PRIMARY KEY,
    description text        NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    applied_by  text        NOT NULL DEFAULT session_user
);

-- One row per confirmed payout. The request columns are derived from request_body by confirm_payout
-- and never change afterwards (payouts_request_immutable).
CREATE TABLE payouts (
    local_id        bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    status          text        NOT NULL CHECK (status <> ''),
    amount          text        NOT NULL CHECK (amount ~ '^[0-9]+(\.[0-9]+)?$'),
    amount_scaled   bigint      NOT NULL,   -- amount x 10^4, for sorting
    currency        text        NOT NULL CHECK (currency ~ '^[A-Z]{3}$'),
    description     text,
    recipient_id    text,
    recipient_name  text,
    external_id     text,
    metadata        text,                   -- JSON object or NULL
    redirect_url    text,
    webhook_url     text,
    request_body    text        NOT NULL,   -- the exact JSON body sent, byte for byte
    idempotency_key text        NOT NULL UNIQUE CHECK (idempotency_key <> ''),
    payment_id      text,
    checkin_url     text,
    failure_reason  text,
    last_error      text,
    environment     text        NOT NULL CHECK (environment IN ('sandbox', 'live')),
    profile         text        NOT NULL,
    created_by      text        NOT NULL,   -- the login role that confirmed it (session_user)
    -- Text search: every term must occur in one of these; '\n' never occurs in a whitespace-free term.
    search_text     text        GENERATED ALWAYS AS (
        coalesce(description, '') || E'\n' || coalesce(recipient_name, '') || E'\n' ||
        coalesce(recipient_id, '') || E'\n' || coalesce(external_id, '') || E'\n' ||
        coalesce(payment_id, '') || E'\n' || amount) STORED
);
-- Keyset paging: every sort key with local_id as the tie-breaker. Text sorts are ASCII case-insensitive
-- with missing values first (as the SQLite journal sorts them).
CREATE INDEX payouts_created ON payouts (created_at, local_id);
CREATE INDEX payouts_updated ON payouts (updated_at, local_id);
CREATE INDEX payouts_status ON payouts (status COLLATE "C", local_id);
CREATE INDEX payouts_amount ON payouts (amount_scaled, local_id);
CREATE INDEX payouts_currency ON payouts (currency COLLATE "C", local_id);
CREATE INDEX payouts_description ON payouts (lower(coalesce(description, '') COLLATE "C"), local_id);
CREATE INDEX payouts_recipient ON payouts (lower(coalesce(recipient_name, '') COLLATE "C"), local_id);
CREATE INDEX payouts_external_id ON payouts (lower(coalesce(external_id, '') COLLATE "C"), local_id);
CREATE INDEX payouts_payment_id ON payouts (coalesce(payment_id, '') COLLATE "C", local_id);
CREATE INDEX payouts_open ON payouts (created_at, local_id) WHERE status NOT IN ('failed', 'rejected', 'succeeded');
CREATE INDEX payouts_search ON payouts USING gin (search_text gin_trgm_ops);

-- The append-only audit trail and change feed. Inserts are serialised (append_event takes
-- pg_advisory_xact_lock) so ids become visible in order; pg_notify('payout_desk_events', id) after commit.
CREATE TABLE events (
    event_id bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    local_id bigint      NOT NULL REFERENCES payouts (local_id),
    at       timestamptz NOT NULL,
    kind     text        NOT NULL,
    actor    text        NOT NULL,
    detail   jsonb       NOT NULL CHECK (jsonb_typeof(detail) = 'object')
);
CREATE INDEX events_local_id ON events (local_id, event_id);

-- The team's settings: one row. The provider identity (base URL) every desk and agent must agree on.
CREATE TABLE team_settings (
    singleton         boolean     PRIMARY KEY DEFAULT true CHECK (singleton),
    provider_base_url text,
    updated_at        timestamptz NOT NULL DEFAULT clock_timestamp(),
    updated_by        text        NOT NULL DEFAULT session_user
);
INSERT INTO team_settings (singleton) VALUES (true);

-- Every change made by an administrator (people, settings), append-only.
CREATE TABLE admin_audit (
    audit_id bigint      GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at       timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor    text        NOT NULL DEFAULT session_user,
    action   text        NOT NULL,
    detail   jsonb       NOT NULL DEFAULT '{}' CHECK (jsonb_typeof(detail) = 'object')
);

-- Guards that hold even for the owner (and so for every SECURITY DEFINER function).
CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql SET search_path = pg_catalog AS $$
BEGIN
    RAISE EXCEPTION '%', TG_ARGV[0] USING ERRCODE = 'insufficient_privilege';
END
$$;
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION refuse_change('journal events are append-only');
CREATE TRIGGER events_no_truncate BEFORE TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('journal events are append-only');
CREATE TRIGGER audit_append_only BEFORE UPDATE OR DELETE ON admin_audit
    FOR EACH ROW EXECUTE FUNCTION refuse_change('the admin audit is append-only');
CREATE TRIGGER audit_no_truncate BEFORE TRUNCATE ON admin_audit
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('the admin audit is append-only');
CREATE TRIGGER payouts_no_delete BEFORE DELETE ON payouts
    FOR EACH ROW EXECUTE FUNCTION refuse_change('journaled payouts cannot be deleted');
CREATE TRIGGER payouts_no_truncate BEFORE TRUNCATE ON payouts
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_change('journaled payouts cannot be deleted');
CREATE TRIGGER payouts_request_immutable BEFORE UPDATE OF
    local_id, created_at, amount, amount_scaled, currency, description, recipient_id, recipient_name,
    external_id, metadata, redirect_url, webhook_url, request_body, idempotency_key, environment,
    profile, created_by ON payouts
    FOR EACH ROW WHEN (
        (old.local_id, old.created_at, old.amount, old.amount_scaled, old.currency, old.description,
         old.recipient_id, old.recipient_name, old.external_id, old.metadata, old.redirect_url,
         old.webhook_url, old.request_body, old.idempotency_key, old.environment, old.profile, old.created_by)
        IS DISTINCT FROM
        (new.local_id, new.created_at, new.amount, new.amount_scaled, new.currency, new.description,
         new.recipient_id, new.recipient_name, new.external_id, new.metadata, new.redirect_url,
         new.webhook_url, new.request_body, new.idempotency_key, new.environment, new.profile, new.created_by))
    EXECUTE FUNCTION refuse_change('a journaled payout request is immutable');
