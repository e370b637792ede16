-- Signed webhooks: the organisations' endpoints, the outbox of events (written
-- in the transaction of the change they announce) and one delivery per event
-- and endpoint. Every table carries org_id (and contest_id where there is one),
-- so a PostgreSQL sharded by organisation can hold it unchanged.

CREATE TABLE webhook_endpoints (
    id             uuid PRIMARY KEY,
    org_id         uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    url            text NOT NULL CHECK (char_length(url) BETWEEN 1 AND 2000),
    events         text[] NOT NULL CHECK (
                       cardinality(events) BETWEEN 1 AND 5
                       AND events <@ ARRAY['contest.phase_changed', 'suggestion.created',
                           'suggestion.moderated', 'results.updated', 'results.final']::text[]),
    description    text NOT NULL DEFAULT '' CHECK (char_length(description) <= 500),
    -- Not the signing secret: a random salt from which the service derives it
    -- with the server secret (HMAC), so the database alone does not hold it.
    secret_salt    bytea NOT NULL CHECK (octet_length(secret_salt) = 16),
    enabled        boolean NOT NULL DEFAULT true,
    -- Since when every attempt has failed (NULL after a success).
    failing_since  timestamptz,
    disabled_at    timestamptz,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_endpoints_org_idx ON webhook_endpoints (org_id, created_at, id);

-- The outbox. `body` is the exact JSON delivered (and signed) on every attempt.
CREATE TABLE webhook_events (
    id          uuid PRIMARY KEY,
    org_id      uuid NOT NULL REFERENCES organisations (id) ON DELETE CASCADE,
    contest_id  uuid REFERENCES contests (id) ON DELETE CASCADE,
    type        text NOT NULL CHECK (type IN ('contest.phase_changed', 'suggestion.created',
                    'suggestion.moderated', 'results.updated', 'results.final', 'webhook.test')),
    body        text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
-- A contest's final result is announced once, whichever instance closes it.
CREATE UNIQUE INDEX webhook_events_one_final_idx ON webhook_events (contest_id)
    WHERE type = 'results.final';
CREATE INDEX webhook_events_created_idx ON webhook_events (created_at);

CREATE TABLE webhook_deliveries (
    id               uuid PRIMARY KEY,
    -- The order of creation: deliveries of one endpoint and contest go in this order.
    seq              bigint GENERATED ALWAYS AS IDENTITY UNIQUE,
    event_id         uuid NOT NULL REFERENCES webhook_events (id) ON DELETE CASCADE,
    endpoint_id      uuid NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    org_id           uuid NOT NULL,
    contest_id       uuid,
    status           text NOT NULL DEFAULT 'pending'
                         CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    -- While an attempt runs: when its claim lapses (another worker may then retry).
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_attempt_at  timestamptz,
    last_status_code integer,
    last_error       text CHECK (char_length(last_error) <= 500),
    -- At most the first KiB of the receiver's last answer.
    last_response    text CHECK (octet_length(last_response) <= 1024),
    delivered_at     timestamptz,
    created_at       timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT webhook_deliveries_once UNIQUE (event_id, endpoint_id)
);
CREATE INDEX webhook_deliveries_due_idx ON webhook_deliveries (next_attempt_at, seq)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_order_idx ON webhook_deliveries (endpoint_id, contest_id, seq)
    WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint_idx ON webhook_deliveries (endpoint_id, seq DESC);

-- `results.updated`: the last ballot version announced per contest and when,
-- so the announcement is debounced across instances.
CREATE TABLE webhook_result_marks (
    contest_id   uuid PRIMARY KEY REFERENCES contests (id) ON DELETE CASCADE,
    org_id       uuid NOT NULL,
    version      bigint NOT NULL,
    notified_at  timestamptz NOT NULL
);
