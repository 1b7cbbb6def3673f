//! The schema, as numbered migrations: `PRAGMA user_version` says how many
//! have run, and opening a database runs the rest (`db::setup`).

/// Each entry moves the schema one version up; never edit a shipped one.
pub(super) const MIGRATIONS: &[&str] = &[
    // 1: the first schema.
    "CREATE TABLE sessions (
        id          INTEGER PRIMARY KEY,
        mode        TEXT NOT NULL,
        started_at  TEXT NOT NULL,
        ended_at    TEXT
    );
    CREATE TABLE attempts (
        id           INTEGER PRIMARY KEY,
        session_id   INTEGER REFERENCES sessions(id),
        question_id  TEXT NOT NULL,
        topic        TEXT NOT NULL,
        answer       TEXT NOT NULL,
        status       TEXT NOT NULL CHECK (status IN ('ungraded', 'graded', 'skipped')),
        grader       TEXT,
        verdict      TEXT,
        score        REAL,
        seconds      REAL,
        cut_off      INTEGER NOT NULL DEFAULT 0,
        error        TEXT,
        extra        TEXT,
        created_at   TEXT NOT NULL,
        graded_at    TEXT
    );
    CREATE INDEX attempts_question ON attempts(question_id, created_at);
    CREATE INDEX attempts_status ON attempts(status);
    CREATE TABLE verdict_cache (
        key         TEXT PRIMARY KEY,
        verdict     TEXT NOT NULL,
        created_at  TEXT NOT NULL
    );
    CREATE TABLE review (
        question_id  TEXT PRIMARY KEY,
        card         TEXT NOT NULL,
        due          TEXT NOT NULL,
        last_score   REAL,
        updated_at   TEXT NOT NULL
    );",
    // 2: token usage per grade, and the rung of the format ladder each judge
    // server settled on (base URL as shown, user-info masked).
    "ALTER TABLE attempts ADD COLUMN prompt_tokens INTEGER;
    ALTER TABLE attempts ADD COLUMN cached_tokens INTEGER;
    ALTER TABLE attempts ADD COLUMN completion_tokens INTEGER;
    CREATE TABLE judge_formats (
        base_url    TEXT NOT NULL,
        model       TEXT NOT NULL,
        format      TEXT NOT NULL,
        checked_at  TEXT NOT NULL,
        PRIMARY KEY (base_url, model)
    );",
    // 3: one review card per key point. Existing questions need no copy:
    // a point without a row follows its question's card in `review`. The
    // attempt that last moved a card, and the card before it, let a verdict
    // revised later (a follow-up, a settled sample) move it again instead.
    "CREATE TABLE review_points (
        question_id  TEXT NOT NULL,
        point_id     TEXT NOT NULL,
        card         TEXT NOT NULL,
        due          TEXT NOT NULL,
        outcome      TEXT NOT NULL,
        updated_at   TEXT NOT NULL,
        attempt_id   INTEGER,
        previous     TEXT,
        PRIMARY KEY (question_id, point_id)
    );",
    // 4: how a grade's tokens were bought: NULL for a live call, 'batch'
    // for the Batch API, which providers price at a discount (`grill usage`).
    "ALTER TABLE attempts ADD COLUMN via TEXT;
    CREATE INDEX attempts_graded_at ON attempts(graded_at);",
    // 5: Batch API jobs. A job is one input file graded through the Batch
    // API; its answers are a session's attempts, split into parts (one remote
    // batch each) by attempt id range. A part's row is written before its
    // upload, and each remote id (file, batch) as soon as it is known.
    "CREATE TABLE batch_jobs (
        id            INTEGER PRIMARY KEY,
        session_id    INTEGER NOT NULL REFERENCES sessions(id),
        input_path    TEXT NOT NULL,
        input_hash    TEXT NOT NULL,
        settings_key  TEXT NOT NULL,
        model         TEXT NOT NULL,
        base_url      TEXT NOT NULL,
        answers       INTEGER NOT NULL,
        status        TEXT NOT NULL,
        created_at    TEXT NOT NULL,
        updated_at    TEXT NOT NULL
    );
    CREATE INDEX batch_jobs_input ON batch_jobs(input_hash, settings_key);
    CREATE TABLE batch_parts (
        job_id          INTEGER NOT NULL REFERENCES batch_jobs(id),
        part            INTEGER NOT NULL,
        first_attempt   INTEGER NOT NULL,
        last_attempt    INTEGER NOT NULL,
        requests        INTEGER NOT NULL,
        requests_path   TEXT NOT NULL,
        requests_hash   TEXT NOT NULL,
        input_file_id   TEXT,
        batch_id        TEXT,
        status          TEXT NOT NULL,
        completed       INTEGER NOT NULL DEFAULT 0,
        failed          INTEGER NOT NULL DEFAULT 0,
        output_file_id  TEXT,
        error_file_id   TEXT,
        error           TEXT,
        PRIMARY KEY (job_id, part)
    );",
    // 6: reasoning models (issue 21). The tokens a grade spent reasoning;
    // the request shape a server taught (JSON, beside its format rung); and
    // when a model's retirement date was last read from its server.
    "ALTER TABLE attempts ADD COLUMN reasoning_tokens INTEGER;
    ALTER TABLE judge_formats ADD COLUMN learnt TEXT;
    CREATE TABLE model_checks (
        base_url       TEXT NOT NULL,
        model          TEXT NOT NULL,
        checked_at     TEXT NOT NULL,
        shutdown_date  TEXT,
        PRIMARY KEY (base_url, model)
    );",
    // 7: spoken answers (issue 26). The transcript as heard (the attempt's
    // answer may be an edit of it), its segments (JSON), the recording's
    // path and length, and the delivery figures (JSON).
    "CREATE TABLE spoken (
        attempt_id  INTEGER PRIMARY KEY REFERENCES attempts(id),
        audio_path  TEXT NOT NULL,
        audio_secs  REAL,
        transcript  TEXT NOT NULL,
        segments    TEXT NOT NULL,
        model       TEXT NOT NULL,
        format      TEXT NOT NULL,
        delivery    TEXT NOT NULL,
        created_at  TEXT NOT NULL
    );",
];
