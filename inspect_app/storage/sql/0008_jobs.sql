-- Schema 8: a placeholder on the pglists branch for the jobs branch's 0008_jobs.sql
-- (migrations run 1, 2, 3… without gaps and this branch's is 0009). When merging, take
-- the jobs branch's file in place of this one.
SELECT 1;
