-- Team journal, version 20: a payout's request body has the shape the desk writes, or it is not journaled
-- (second audit N1, the F1 class; N7's padding). Version 17 refused a key named twice; a key the desk never
-- writes ("Amount" next to "amount", "AMOUNT", any extra) was still journaled, counted as nothing by the rules,
-- shown at the bottom of a long approval dialog and sent verbatim: a provider that matches names
-- case-insensitively reads two amounts. The desk's body (PayoutRequest.to_body) is:
--   amount, currency, type ("payout"), description, externalId, redirectUrl, webhookUrl: text;
--   customer: an object of id and/or name, text; metadata: a flat object of text -> text, at most 4096 bytes as
--   compact JSON in UTF-8 (the desk's own cap, MAX_METADATA_BYTES).
-- Any other key at any level, another type, or metadata over the cap is refused in words naming the key. The
-- agent checks the same before sending (domain/body_check.py), for bodies journaled before this version.
-- A second row trigger (payouts_body_shape) checks it; rows already journaled are not re-checked here.

SET LOCAL ROLE payout_desk_owner;
SET LOCAL search_path = payout_desk, pg_catalog;

-- The first way p_body (a JSON object whose keys are each named once) is not shaped as the desk writes it, in
-- words naming the key; NULL when it is. Metadata's size is counted as the desk counts it (metadata_size: compact
-- JSON, UTF-8, non-ASCII unescaped): to_json escapes the characters Python's json.dumps(ensure_ascii=False) does.
CREATE FUNCTION body_shape_problem(p_body json) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog AS $$
DECLARE
    v_types CONSTANT jsonb := '{"amount":"string","currency":"string","type":"string","description":"string",
        "externalId":"string","redirectUrl":"string","webhookUrl":"string","customer":"object",
        "metadata":"object"}';
    v_item record;
    v_want text;
    v_same text;
    v_bytes bigint := 2;
    v_count bigint := 0;
BEGIN
    FOR v_item IN SELECT e.key, e.value, json_typeof(e.value) AS kind FROM json_each(p_body) AS e LOOP
        v_want := v_types ->> v_item.key;
        IF v_want IS NULL THEN
            SELECT k INTO v_same FROM jsonb_object_keys(v_types) AS k WHERE lower(k) = lower(v_item.key) LIMIT 1;
            RETURN format('"%s": the desk never writes this key%s', left(v_item.key, 100),
                          CASE WHEN v_same IS NOT NULL
                               THEN format(' (names are case-sensitive: the desk writes "%s")', v_same) ELSE '' END);
        END IF;
        IF v_item.kind <> v_want THEN
            RETURN format('"%s": must be %s, not %s', v_item.key,
                          CASE v_want WHEN 'string' THEN 'text' ELSE 'an object' END, v_item.kind);
        END IF;
    END LOOP;
    IF json_typeof(p_body -> 'customer') = 'object' THEN
        FOR v_item IN SELECT e.key, json_typeof(e.value) AS kind FROM json_each(p_body -> 'customer') AS e LOOP
            IF v_item.key NOT IN ('id', 'name') THEN
                RETURN format('"customer.%s": the desk never writes this key%s', left(v_item.key, 100),
                              CASE WHEN lower(v_item.key) IN ('id', 'name')
                                   THEN format(' (names are case-sensitive: the desk writes "%s")', lower(v_item.key))
                                   ELSE '' END);
            END IF;
            IF v_item.kind <> 'string' THEN
                RETURN format('"customer.%s": must be text, not %s', v_item.key, v_item.kind);
            END IF;
        END LOOP;
    END IF;
    IF json_typeof(p_body -> 'metadata') = 'object' THEN
        FOR v_item IN SELECT e.key, e.value, json_typeof(e.value) AS kind FROM json_each(p_body -> 'metadata') AS e LOOP
            IF v_item.kind <> 'string' THEN
                RETURN format('"metadata.%s": metadata values must be text, not %s', left(v_item.key, 100), v_item.kind);
            END IF;
            v_bytes := v_bytes + octet_length(to_json(v_item.key)::text) + 1
                       + octet_length(to_json(v_item.value #>> '{}')::text);
            v_count := v_count + 1;
        END LOOP;
        v_bytes := v_bytes + greatest(v_count - 1, 0);
        IF v_bytes > 4096 THEN
            RETURN format('"metadata": %s bytes, the desk''s limit is 4,096 bytes',
                          to_char(v_bytes, 'FM999,999,999,999'));
        END IF;
    END IF;
    RETURN NULL;
END
$$;

-- Every payout row (any writer, the owner's functions included) is shaped as the desk writes it. A second trigger
-- next to version 17's payouts_body_once, which fires first (same event, names in order): the body is then known
-- to be one JSON object naming each key once.
CREATE FUNCTION guard_body_shape() RETURNS trigger
LANGUAGE plpgsql SET search_path = payout_desk, pg_catalog, pg_temp AS $$
DECLARE
    v_problem text;
BEGIN
    v_problem := body_shape_problem(NEW.request_body::json);
    IF v_problem IS NOT NULL THEN
        RAISE EXCEPTION 'the request body is not as the desk writes it: %; nothing was journaled', v_problem
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER payouts_body_shape BEFORE INSERT OR UPDATE OF request_body ON payouts
    FOR EACH ROW EXECUTE FUNCTION guard_body_shape();

-- confirm_payout (version 16) reads the metadata column with canonical_object before the row's trigger runs, so a
-- metadata that is not an object was refused there in jsonb's words ("cannot call jsonb_each on a non-object").
-- The same refusal, in the trigger's words; an object (and no metadata) as before.
CREATE OR REPLACE FUNCTION canonical_object(p_value jsonb) RETURNS text
LANGUAGE plpgsql IMMUTABLE SET search_path = pg_catalog AS $$
BEGIN
    IF p_value IS NOT NULL AND jsonb_typeof(p_value) <> 'object' THEN
        RAISE EXCEPTION 'the request body is not as the desk writes it: "metadata": must be an object, not %; '
                        'nothing was journaled', jsonb_typeof(p_value)
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    RETURN (SELECT '{' || string_agg(to_json(e.key)::text || ':' || e.value::text, ',' ORDER BY e.key COLLATE "C")
                   || '}'
              FROM jsonb_each(p_value) AS e);
END
$$;
