-- The catalog files a sandbox's first connections open, in the order they open them (traced on
-- PostgreSQL 17: connect, the bootstrap, a first query). A sandbox opens each for writing as it
-- starts (images.server_entrypoint): overlayfs copies a file up from the image at its first open
-- for writing, and fsyncs it, ~1 ms per small file and tens of ms for a large schema's catalogs;
-- done in the background, the copies overlap the server's own start instead of following it.
WITH wanted(relname, n) AS (
  SELECT relname, n FROM unnest(ARRAY[
    'pg_authid', 'pg_database', 'pg_class', 'pg_attribute', 'pg_index', 'pg_am', 'pg_opclass',
    'pg_amproc', 'pg_opclass_oid_index', 'pg_amproc_fam_proc_index', 'pg_class_oid_index',
    'pg_attribute_relid_attnum_index', 'pg_index_indexrelid_index', 'pg_database_oid_index',
    'pg_db_role_setting_databaseid_rol_index', 'pg_authid_rolname_index',
    'pg_index_indrelid_index', 'pg_authid_oid_index', 'pg_namespace_nspname_index',
    'pg_namespace', 'pg_proc_proname_args_nsp_index', 'pg_proc', 'pg_proc_oid_index',
    'pg_type_oid_index', 'pg_type', 'pg_class_relname_nsp_index',
    'pg_operator_oprname_l_r_n_index', 'pg_operator', 'pg_operator_oid_index',
    'pg_statistic_ext_relid_index', 'pg_amop_opr_fam_index', 'pg_amop',
    'pg_statistic_relid_att_inh_index', 'pg_statistic', 'pg_tablespace_oid_index',
    'pg_tablespace', 'pg_amop_fam_strat_index', 'pg_attribute_relid_attnam_index'
  ]) WITH ORDINALITY AS w(relname, n)
)
SELECT pg_relation_filepath(c.oid)
FROM wanted JOIN pg_class c ON c.relname = wanted.relname
WHERE c.relnamespace = 'pg_catalog'::regnamespace AND pg_relation_filepath(c.oid) IS NOT NULL
ORDER BY wanted.n;
