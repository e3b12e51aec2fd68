-- Team journal, version 21: maker-checker (audit 2, N3). One person must not both change the approval rules and
-- prepare or approve payouts: else an app admin who is also a preparer drops the rule, prepares a payout that
-- then needs no approval, and puts the rule back. set_approval_rule (set-rule), set_approval_expiry (set-expiry)
-- and set_retype_threshold (set-retype-threshold) are refused, in words, to a caller who is also a preparer or an
-- approver (by is_person_in, version 19: a superuser, the database administrator, is neither). The check sits in
-- statement triggers on the two tables those functions write, so their bodies stay as in version 16, and a write
-- that bypasses the functions (a login with pg_write_all_data) is refused the same way. set_provider_base_url
-- writes other columns of team_settings and is not concerned.

SET LOCAL ROLE payout_desk_owner;
SET LOCAL search_path = payout_desk, pg_catalog;

CREATE FUNCTION refuse_rules_by_a_maker() RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_held name[];
BEGIN
    SELECT array_agg(g ORDER BY g) INTO v_held
      FROM unnest(ARRAY['payout_desk_approver', 'payout_desk_preparer']::name[]) AS g
     WHERE is_person_in(ARRAY[g]);
    IF v_held IS NOT NULL THEN
        RAISE EXCEPTION '% is also %: one person may not both change the approval rules (%) and prepare or approve '
                        'payouts. Nothing was changed. The database administrator gives these changes to an '
                        'administrator who neither prepares nor approves, or revokes the other role (REVOKE % FROM %).',
                        session_user,
                        replace(replace(array_to_string(v_held, ' and '), 'payout_desk_approver', 'an approver'),
                                'payout_desk_preparer', 'a preparer'),
                        TG_ARGV[0], array_to_string(v_held, ', '), session_user
            USING ERRCODE = 'PDA01';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER approval_rules_maker_checker BEFORE INSERT OR UPDATE OR DELETE ON approval_rules
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_rules_by_a_maker('set-rule');
CREATE TRIGGER team_settings_maker_checker BEFORE UPDATE OF approval_expiry_days, retype_thresholds ON team_settings
    FOR EACH STATEMENT EXECUTE FUNCTION refuse_rules_by_a_maker('set-expiry, set-retype-threshold');

REVOKE ALL ON FUNCTION refuse_rules_by_a_maker() FROM PUBLIC;
