-- PostgreSQL only (a statement trigger's guard); SQLite's triggers run per row.
SELECT 1;
