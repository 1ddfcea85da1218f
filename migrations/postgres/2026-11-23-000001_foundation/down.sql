DROP TABLE api_keys;
DROP TABLE programs;
DROP TABLE admins;
DROP TABLE settings;
