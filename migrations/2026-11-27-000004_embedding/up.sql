-- Embedding: the web origins each organisation allows to call the JSON API from a
-- browser (CORS) and to frame its embed pages (CSP frame-ancestors).
-- An origin is stored normalised: lower-case `scheme://host[:port]`, no default port.
CREATE TABLE allowed_origins (
    org_id      uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    origin      text NOT NULL CHECK (
                    char_length(origin) <= 255
                    AND origin ~ '^https?://[a-z0-9.\[\]:-]+$'),
    created_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (org_id, origin)
);
-- Preflights of admin routes carry no credentials: they ask whether any
-- organisation allows the origin.
CREATE INDEX allowed_origins_origin_idx ON allowed_origins (origin);
