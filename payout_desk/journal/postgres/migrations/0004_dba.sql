-- Team journal, version 4: the database administrator need not be a superuser. A role with CREATEROLE
-- (outside the app's roles) adds and removes people with payout-desk-admin: it reads the schema version,
-- records each change in the admin audit and reads the audit through these functions. Nothing else of
-- the schema becomes visible: tables keep their grants, PUBLIC only gets to name the schema.

SET LOCAL ROLE payout_desk_owner;
SET LOCAL search_path = payout_desk, pg_catalog;

GRANT USAGE ON SCHEMA payout_desk TO PUBLIC;
GRANT SELECT ON schema_migrations TO PUBLIC;  -- the version is no secret: every client must check it

-- The caller, if it is a database administrator (superuser or CREATEROLE); otherwise insufficient_privilege.
CREATE FUNCTION dba_actor() RETURNS text
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_catalog.pg_roles
                   WHERE rolname = session_user AND (rolsuper OR rolcreaterole)) THEN
        RAISE EXCEPTION '% is not a database administrator (superuser or CREATEROLE)', session_user
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN session_user::text;
END
$$;

CREATE FUNCTION record_admin_change(p_action text, p_detail jsonb) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
BEGIN
    INSERT INTO admin_audit (actor, action, detail) VALUES (dba_actor(), p_action, p_detail);
END
$$;

-- The audit for a database administrator or an app admin.
CREATE FUNCTION admin_audit_log() RETURNS SETOF admin_audit
LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
BEGIN
    IF NOT pg_catalog.pg_has_role(session_user, 'payout_desk_admin', 'USAGE') THEN
        PERFORM dba_actor();
    END IF;
    RETURN QUERY SELECT * FROM admin_audit ORDER BY audit_id;
END
$$;

REVOKE ALL ON FUNCTION dba_actor() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION record_admin_change(text, jsonb), admin_audit_log() TO PUBLIC;
