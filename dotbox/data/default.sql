--
-- dotbox's bundled default snapshot: a small stand-in for a governed official runtime
-- (a CMS-backed catalogue of content items, maintained by governed scripts).
-- DDL only: no rows.
--

SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;

CREATE SCHEMA runtime;

COMMENT ON SCHEMA runtime IS 'objects the governance scripts write to';

CREATE TABLE runtime.block (
    code        text PRIMARY KEY CHECK (code ~ '^[A-Z][A-Z0-9_]{1,15}$'),
    title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE runtime.author (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email       text NOT NULL UNIQUE CHECK (position('@' in email) > 1),
    display     varchar(80) NOT NULL,
    active      boolean NOT NULL DEFAULT true
);

CREATE TABLE runtime.item (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    block_code  text NOT NULL REFERENCES runtime.block (code) ON UPDATE CASCADE,
    slug        varchar(64) NOT NULL CHECK (slug ~ '^[a-z0-9-]+$'),
    title       text NOT NULL,
    status      text NOT NULL DEFAULT 'draft'
                CHECK (status IN ('draft', 'review', 'published', 'archived')),
    author_id   bigint REFERENCES runtime.author (id) ON DELETE SET NULL,
    weight      integer NOT NULL DEFAULT 0 CHECK (weight BETWEEN -1000 AND 1000),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (block_code, slug)
);

CREATE INDEX item_status_idx ON runtime.item (status) WHERE status <> 'archived';

CREATE TABLE runtime.item_revision (
    item_id     bigint NOT NULL REFERENCES runtime.item (id) ON DELETE CASCADE,
    revision    integer NOT NULL CHECK (revision > 0),
    body        jsonb NOT NULL DEFAULT '{}'::jsonb,
    saved_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (item_id, revision)
);

CREATE TABLE runtime.script_run (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    script      text NOT NULL CHECK (script ~ '^dot-[a-z0-9-]+$'),
    executed    boolean NOT NULL,
    started_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz,
    CHECK (finished_at IS NULL OR finished_at >= started_at)
);

CREATE FUNCTION runtime.touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    AS $$
BEGIN
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

CREATE TRIGGER item_touch BEFORE UPDATE ON runtime.item
    FOR EACH ROW EXECUTE FUNCTION runtime.touch_updated_at();

CREATE VIEW runtime.published_item AS
    SELECT i.id, i.block_code, i.slug, i.title, a.display AS author, i.updated_at
    FROM runtime.item i
    LEFT JOIN runtime.author a ON a.id = i.author_id
    WHERE i.status = 'published';
