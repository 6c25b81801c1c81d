-- isomine.npy_header: its current definition, applied by `isomine migrate` whenever this file changes
-- (see sql/functions/README.md). Last defined by 008_inputs_and_series.sql before it moved here.
--
-- The header of an NPY array: its dtype, whether it is Fortran-ordered, its shape, and whether the
-- file holds the bytes the shape needs. Raises a clear error naming `what` when it is not an NPY.
--
-- One of two NPY validators, one per language boundary. This one guards the SQL boundary: uploads come
-- from any SQL client (isomine.store_input, isomine.submit_embeddings), so the database refuses a bad
-- array in the caller's own transaction, before anything is stored or queued. The other, Swift's
-- NPYLoader (Sources/Datasets), guards the job boundary: it reads files from the data root, which never
-- pass through SQL, and checks every array against the job's memory limit before allocating.
CREATE OR REPLACE FUNCTION isomine.npy_header(data bytea, what text, OUT descr text, OUT fortran boolean, OUT shape bigint[])
LANGUAGE plpgsql IMMUTABLE AS $$
DECLARE
    major int;
    header_start int;
    header_len bigint;
    header text;
    m text[];
    part text;
    itemsize bigint;
    needed numeric := 1;
BEGIN
    IF data IS NULL OR octet_length(data) < 10 OR substring(data FROM 1 FOR 6) <> '\x934e554d5059'::bytea THEN
        RAISE EXCEPTION '%: is not an NPY file (no \x93NUMPY magic); save it with numpy.save', what USING ERRCODE = 'invalid_parameter_value';
    END IF;
    major := get_byte(data, 6);
    IF major = 1 THEN
        header_len := get_byte(data, 8) + 256 * get_byte(data, 9);
        header_start := 10;
    ELSIF major IN (2, 3) AND octet_length(data) >= 12 THEN
        header_len := get_byte(data, 8) + 256 * get_byte(data, 9) + 65536 * get_byte(data, 10) + 16777216::bigint * get_byte(data, 11);
        header_start := 12;
    ELSE
        RAISE EXCEPTION '%: NPY format version % is not supported', what, major USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF header_start + header_len > octet_length(data) THEN
        RAISE EXCEPTION '%: the NPY header is cut short', what USING ERRCODE = 'invalid_parameter_value';
    END IF;
    header := convert_from(substring(data FROM header_start + 1 FOR header_len::int), 'LATIN1');
    m := regexp_match(header, '''descr''\s*:\s*''([^'']*)''');
    IF m IS NULL THEN RAISE EXCEPTION '%: the NPY header has no descr', what USING ERRCODE = 'invalid_parameter_value'; END IF;
    descr := m[1];
    m := regexp_match(header, '''fortran_order''\s*:\s*(True|False)');
    fortran := m IS NOT NULL AND m[1] = 'True';
    m := regexp_match(header, '''shape''\s*:\s*\(([^)]*)\)');
    IF m IS NULL THEN RAISE EXCEPTION '%: the NPY header has no shape', what USING ERRCODE = 'invalid_parameter_value'; END IF;
    shape := '{}';
    FOREACH part IN ARRAY string_to_array(m[1], ',') LOOP
        part := btrim(part);
        CONTINUE WHEN part = '';
        IF part !~ '^[0-9]{1,15}$' THEN
            RAISE EXCEPTION '%: the NPY shape (%) is not a tuple of sizes', what, m[1] USING ERRCODE = 'invalid_parameter_value';
        END IF;
        shape := shape || part::bigint;
        needed := needed * part::numeric;
    END LOOP;
    itemsize := nullif(substring(descr FROM '[0-9]+$'), '')::bigint;
    IF itemsize IS NOT NULL AND octet_length(data) - header_start - header_len < needed * itemsize THEN
        RAISE EXCEPTION '%: the NPY header claims shape (%) of %, which needs % bytes, but the file holds %',
            what, array_to_string(shape, ', '), descr, needed * itemsize, octet_length(data) - header_start - header_len
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
END;
$$;
