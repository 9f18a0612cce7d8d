//! The archive's schema, as an ordered list of migrations applied by `PRAGMA user_version`.
//!
//! Append a migration to change the schema; never edit one that has shipped,
//! since existing archives have already applied it.

/// Migration `i` takes the database from `user_version = i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: the whole first schema.
    r#"
CREATE TABLE runs (
    id            INTEGER PRIMARY KEY,
    kind          TEXT NOT NULL,              -- crawl | extract | schedule
    started_at    TEXT NOT NULL,              -- RFC 3339, UTC
    finished_at   TEXT,
    status        TEXT NOT NULL,              -- running | completed | interrupted | failed
    pid           INTEGER,
    command       TEXT,
    pages_fetched INTEGER NOT NULL DEFAULT 0,
    not_modified  INTEGER NOT NULL DEFAULT 0,
    snapshots_new INTEGER NOT NULL DEFAULT 0,
    bodies_new    INTEGER NOT NULL DEFAULT 0,
    bytes_received INTEGER NOT NULL DEFAULT 0,
    reports_found INTEGER NOT NULL DEFAULT 0,
    extracted     INTEGER NOT NULL DEFAULT 0,
    errors        INTEGER NOT NULL DEFAULT 0,
    note          TEXT
);

-- Agencies that must publish, from the seed files (kept in step on every run).
CREATE TABLE agencies (
    id       INTEGER PRIMARY KEY,
    name     TEXT NOT NULL UNIQUE,
    region   TEXT NOT NULL DEFAULT '',
    level    TEXT NOT NULL DEFAULT '',
    aliases  TEXT NOT NULL DEFAULT '[]',      -- JSON array of strings
    active   INTEGER NOT NULL DEFAULT 1       -- 0 once dropped from the seed files
);

-- Entry points: an agency's own page, a portal column (no agency), or an agency with no URL.
CREATE TABLE seeds (
    id          INTEGER PRIMARY KEY,
    agency_id   INTEGER REFERENCES agencies(id),
    url         TEXT,
    region      TEXT NOT NULL DEFAULT '',
    source_file TEXT NOT NULL,
    source_line INTEGER NOT NULL,
    active      INTEGER NOT NULL DEFAULT 1,
    UNIQUE (agency_id, url)
);

-- The crawl frontier of one run; it survives a crash so the run can resume.
CREATE TABLE frontier (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs(id),
    url         TEXT NOT NULL,
    host        TEXT NOT NULL,
    seed_id     INTEGER REFERENCES seeds(id),
    depth       INTEGER NOT NULL,
    kind        TEXT NOT NULL,                -- seed | listing | report | attachment | frame | other
    priority    INTEGER NOT NULL,             -- lower is sooner
    parent_url  TEXT,
    link_text   TEXT,
    agency_hint TEXT,                         -- agency of the report page an attachment hangs from
    state       TEXT NOT NULL DEFAULT 'pending', -- pending | done | failed | skipped
    reason      TEXT,
    snapshot_id INTEGER,
    UNIQUE (run_id, url)
);
CREATE INDEX frontier_pending ON frontier(run_id, state, priority, id);
CREATE INDEX frontier_host ON frontier(run_id, host, state, priority, id);

-- Every fetch attempt, successful or not.
CREATE TABLE fetches (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER REFERENCES runs(id),
    url         TEXT NOT NULL,
    host        TEXT NOT NULL,
    attempt     INTEGER NOT NULL,
    started_at  TEXT NOT NULL,
    duration_ms INTEGER NOT NULL,
    status      INTEGER,                      -- HTTP status, NULL when no response
    error_kind  TEXT,                         -- timeout | connect | tls | too_large | robots | http | body | redirect …
    error       TEXT,
    bytes       INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX fetches_host ON fetches(host, run_id);
CREATE INDEX fetches_url ON fetches(url);

-- Response bodies, zstd-compressed, stored once per distinct content.
CREATE TABLE bodies (
    sha256 TEXT PRIMARY KEY,
    size   INTEGER NOT NULL,
    zstd   BLOB NOT NULL
);

-- One row per archived response.
CREATE TABLE snapshots (
    id            INTEGER PRIMARY KEY,
    run_id        INTEGER REFERENCES runs(id),
    url           TEXT NOT NULL,
    final_url     TEXT NOT NULL,
    fetched_at    TEXT NOT NULL,
    status        INTEGER NOT NULL,
    http_version  TEXT NOT NULL DEFAULT 'HTTP/1.1',
    headers       TEXT NOT NULL,              -- JSON array of [name, value]
    content_type  TEXT,
    charset       TEXT,
    charset_source TEXT,
    sha256        TEXT NOT NULL REFERENCES bodies(sha256),
    size          INTEGER NOT NULL,
    truncated     INTEGER NOT NULL DEFAULT 0,
    etag          TEXT,
    last_modified TEXT,
    seed_id       INTEGER REFERENCES seeds(id),
    parent_url    TEXT
);
CREATE INDEX snapshots_url ON snapshots(url, id);
CREATE INDEX snapshots_sha ON snapshots(sha256);

-- What a snapshot is: page metadata for HTML, attribution for attachments.
CREATE TABLE page_meta (
    snapshot_id   INTEGER PRIMARY KEY REFERENCES snapshots(id),
    kind          TEXT NOT NULL,              -- report | listing | attachment | other
    format        TEXT NOT NULL,              -- html | pdf | docx | ole | text | …
    title         TEXT,
    publish_date  TEXT,                       -- YYYY-MM-DD
    source        TEXT,
    editor        TEXT,
    column_name   TEXT,
    site_name     TEXT,
    report_year   INTEGER,
    agency_name   TEXT,                       -- as read from the title/page
    agency_id     INTEGER REFERENCES agencies(id), -- NULL: discovered, not in the seeds
    parent_snapshot_id INTEGER REFERENCES snapshots(id)
);
CREATE INDEX page_meta_report ON page_meta(kind, report_year, agency_id);

-- Extraction results, per snapshot and extractor version; older versions are kept.
CREATE TABLE extractions (
    id                INTEGER PRIMARY KEY,
    snapshot_id       INTEGER NOT NULL REFERENCES snapshots(id),
    extractor_version TEXT NOT NULL,
    extracted_at      TEXT NOT NULL,
    status            TEXT NOT NULL,          -- complete | partial | not_report | failed | unsupported | scanned
    agency            TEXT,
    year              INTEGER,
    template          TEXT,
    checks_failed     INTEGER NOT NULL DEFAULT 0,
    warnings          INTEGER NOT NULL DEFAULT 0,
    result            TEXT NOT NULL,          -- the Extraction as JSON
    UNIQUE (snapshot_id, extractor_version)
);

-- The current extraction of each snapshot: the newest extractor version's.
CREATE VIEW current_extractions AS
SELECT e.* FROM extractions e
WHERE e.id = (SELECT MAX(e2.id) FROM extractions e2 WHERE e2.snapshot_id = e.snapshot_id);

-- The current report of each (agency, year): the newest snapshot that is a report,
-- whose content holds the report (an attachment when the page only links it).
CREATE VIEW current_reports AS
SELECT pm.agency_id, COALESCE(a.name, pm.agency_name) AS agency, pm.report_year AS year,
       s.id AS snapshot_id, s.url, s.fetched_at, pm.kind, pm.format, pm.publish_date, pm.source, pm.editor,
       a.region
FROM page_meta pm
JOIN snapshots s ON s.id = pm.snapshot_id
LEFT JOIN agencies a ON a.id = pm.agency_id
WHERE pm.kind IN ('report', 'attachment') AND pm.report_year IS NOT NULL
  AND s.id = (SELECT MAX(s2.id) FROM snapshots s2 JOIN page_meta pm2 ON pm2.snapshot_id = s2.id
              WHERE pm2.kind = pm.kind AND pm2.report_year = pm.report_year
                AND COALESCE(pm2.agency_id, -1) = COALESCE(pm.agency_id, -1)
                AND (pm.agency_id IS NOT NULL OR pm2.agency_name = pm.agency_name));
"#,
    // 2: pages rendered in a browser.
    r#"
-- 1: the body is the DOM a headless browser rendered, not bytes a server sent.
ALTER TABLE snapshots ADD COLUMN rendered INTEGER NOT NULL DEFAULT 0;
-- Why the page was rendered (or needs a browser), as the crawler decided it.
ALTER TABLE page_meta ADD COLUMN render_reason TEXT;
"#,
    // 3: the current report of an agency and year is chosen in one place,
    // `export::current_reports`; the view that chose it again in SQL goes.
    "DROP VIEW IF EXISTS current_reports;",
    // 4: the date a listing prints beside a link, the publish date of a file
    // that carries none itself.
    r#"
ALTER TABLE frontier ADD COLUMN listing_date TEXT;
"#,
    // 5: POST frontier entries (Hanweb record groups, `$.post` list APIs): the
    // method and form body are part of an entry's identity, replayed on resume
    // and kept with the snapshot; decoys named; seeds' scope widened by frames;
    // notes on what a crawl saw but could not read.
    r#"
CREATE TABLE frontier_v2 (
    id          INTEGER PRIMARY KEY,
    run_id      INTEGER NOT NULL REFERENCES runs(id),
    url         TEXT NOT NULL,
    method      TEXT NOT NULL DEFAULT 'GET',  -- GET | POST
    form        TEXT NOT NULL DEFAULT '',     -- x-www-form-urlencoded body of a POST
    host        TEXT NOT NULL,
    seed_id     INTEGER REFERENCES seeds(id),
    depth       INTEGER NOT NULL,
    kind        TEXT NOT NULL,                -- seed | pagination | listing | redirect | report | attachment | frame | other
    priority    INTEGER NOT NULL,
    parent_url  TEXT,
    link_text   TEXT,
    agency_hint TEXT,
    state       TEXT NOT NULL DEFAULT 'pending',
    reason      TEXT,
    snapshot_id INTEGER,
    listing_date TEXT,
    UNIQUE (run_id, url, method, form)
);
INSERT INTO frontier_v2 (id, run_id, url, host, seed_id, depth, kind, priority, parent_url, link_text,
                         agency_hint, state, reason, snapshot_id, listing_date)
SELECT id, run_id, url, host, seed_id, depth, kind, priority, parent_url, link_text,
       agency_hint, state, reason, snapshot_id, listing_date FROM frontier;
DROP TABLE frontier;
ALTER TABLE frontier_v2 RENAME TO frontier;
CREATE INDEX frontier_pending ON frontier(run_id, state, priority, id);
CREATE INDEX frontier_host ON frontier(run_id, host, state, priority, id);
CREATE INDEX frontier_url ON frontier(run_id, url);

ALTER TABLE snapshots ADD COLUMN method TEXT NOT NULL DEFAULT 'GET';
ALTER TABLE snapshots ADD COLUMN form TEXT;
-- explainer | interpretation | hub | notice | empty, for page_meta.kind = 'decoy'.
ALTER TABLE page_meta ADD COLUMN decoy TEXT;

-- Hosts a seed's pages frame: part of that seed's scope (and only that seed's).
CREATE TABLE seed_hosts (
    run_id  INTEGER NOT NULL REFERENCES runs(id),
    seed_id INTEGER NOT NULL REFERENCES seeds(id),
    host    TEXT NOT NULL,
    via_url TEXT NOT NULL,                    -- the page that frames it
    PRIMARY KEY (run_id, seed_id, host)
);

-- What a crawl saw on a seed's pages that it could not follow (a script-built
-- listing nobody could read), for `missing`.
CREATE TABLE crawl_notes (
    id      INTEGER PRIMARY KEY,
    run_id  INTEGER NOT NULL REFERENCES runs(id),
    seed_id INTEGER REFERENCES seeds(id),
    url     TEXT NOT NULL,
    kind    TEXT NOT NULL,                    -- unread_script
    detail  TEXT NOT NULL,
    UNIQUE (run_id, url, kind, detail)
);
"#,
];
