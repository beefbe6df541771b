-- A sample migration for the default snapshot: items get a summary and a tag table.
ALTER TABLE runtime.item ADD COLUMN summary varchar(280);

CREATE TABLE runtime.item_tag (
    item_id bigint NOT NULL REFERENCES runtime.item (id) ON DELETE CASCADE,
    tag     text   NOT NULL CHECK (tag ~ '^[a-z0-9-]{1,32}$'),
    PRIMARY KEY (item_id, tag)
);
