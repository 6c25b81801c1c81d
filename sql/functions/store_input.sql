-- isomine.store_input: its current definition, applied by `isomine migrate` whenever this file changes
-- (see sql/functions/README.md). Last defined by 008_inputs_and_series.sql before it moved here.
--
-- Stores bytes as an input (once per content) and returns their SHA-256, the name a dataset of type
-- `stored` uses. The size is checked against isomine.max_input_bytes().
CREATE OR REPLACE FUNCTION isomine.store_input(data bytea, format text, what text DEFAULT 'input') RETURNS text
-- SECURITY DEFINER (017_client_role.sql): a client role runs it without rights on the tables; the
-- search path is fixed so that nothing of the caller's can stand in for pg_catalog's or isomine's objects.
SECURITY DEFINER SET search_path = pg_catalog, isomine, pg_temp
LANGUAGE plpgsql AS $$
DECLARE
    digest text;
BEGIN
    IF data IS NULL THEN
        RAISE EXCEPTION '%: is NULL', what USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF format IS NULL OR format NOT IN ('npy', 'csv') THEN
        RAISE EXCEPTION '%: unknown format ''%''; expected npy or csv', what, format USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF octet_length(data) > isomine.max_input_bytes() THEN
        RAISE EXCEPTION '%: is % bytes, above the upload limit of % bytes (raise it with SET isomine.max_input_bytes = ''…'')',
            what, octet_length(data), isomine.max_input_bytes() USING ERRCODE = 'program_limit_exceeded';
    END IF;
    IF format = 'npy' THEN
        PERFORM isomine.npy_header(data, what);
    END IF;
    digest := encode(sha256(data), 'hex');
    INSERT INTO isomine.inputs (sha256, format, byte_size, data) VALUES (digest, format, octet_length(data), data)
    ON CONFLICT (sha256) DO NOTHING;
    RETURN digest;
END;
$$;

-- Callable by isomine_client, not by PUBLIC (017_client_role.sql).
SELECT isomine.client_may_execute('isomine.store_input(bytea, text, text)');
