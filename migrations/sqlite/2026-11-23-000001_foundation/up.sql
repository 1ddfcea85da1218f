-- Settings the service keeps for itself (the generated JWT secret).
CREATE TABLE settings (
    name TEXT NOT NULL PRIMARY KEY,
    value TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE admins (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE programs (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    time_zone TEXT NOT NULL,
    currency TEXT NOT NULL,
    point_name TEXT NOT NULL,
    -- Value of one point in the program's currency, as a decimal string ("0.04").
    point_value TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

-- A storefront's key: only a prefix (to find it) and the SHA-256 digest of the whole key.
CREATE TABLE api_keys (
    id INTEGER PRIMARY KEY,
    program_id BIGINT NOT NULL REFERENCES programs (id),
    name TEXT NOT NULL,
    prefix TEXT NOT NULL UNIQUE,
    secret_digest TEXT NOT NULL,
    -- Space-separated scopes, e.g. "events:write points:redeem".
    scopes TEXT NOT NULL,
    created_by BIGINT REFERENCES admins (id),
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX api_keys_program ON api_keys (program_id, id);
