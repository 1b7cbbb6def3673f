//! Spoken answers through the real binary: `grade --answer-audio` against
//! the fake server's `/v1/audio/transcriptions` (real multipart parsing,
//! the fields checked), WAV files generated here, the delivery figures of
//! a known transcript, every bad input refused before anything is graded,
//! `doctor`, `stats` and `config`. And, when `GRILL_REAL_STT_URL` names one
//! (`scripts/real-stt` starts faster-whisper with a Whisper model from
//! PyPI), a real transcription server.

use serde_json::Value;

use crate::common::fake_server::{FakeServer, Reply, Request};
use crate::common::fake_stt::{multipart, wav, Stt};
use crate::common::Output;
use crate::grade::{echo_verdict, Judged, ANSWER, KEY};

/// A judge that covers every key point, and transcribes as `stt` says.
fn judged(stt: Stt) -> Judged {
    Judged::new(move |req, _| route(&stt, req))
}

fn route(stt: &Stt, req: &Request) -> Reply {
    if req.path.ends_with("/audio/transcriptions") {
        stt.reply(req)
    } else {
        echo_verdict(req)
    }
}

fn write_wav(t: &Judged, name: &str, bytes: &[u8]) -> String {
    std::fs::write(t.env.path(name), bytes).unwrap();
    name.to_string()
}

fn grade_audio(t: &Judged, file: &str, extra: &[(&str, &str)]) -> Output {
    let mut vars = vec![("GRILL_STT_MODEL", "whisper-1")];
    vars.extend_from_slice(extra);
    t.grill(
        &[
            "grade",
            "--question",
            "tq",
            "--answer-audio",
            file,
            "--json",
        ],
        "",
        &vars,
    )
}

fn transcriptions(server: &FakeServer) -> Vec<Request> {
    server
        .requests()
        .into_iter()
        .filter(|r| r.path.ends_with("/audio/transcriptions"))
        .collect()
}

fn chats(server: &FakeServer) -> usize {
    server
        .requests()
        .iter()
        .filter(|r| r.path.ends_with("/chat/completions"))
        .count()
}

fn attempts(t: &Judged) -> i64 {
    if !t.env.db().exists() {
        return 0;
    }
    let conn = rusqlite::Connection::open(t.env.db()).unwrap();
    conn.query_row("SELECT count(*) FROM attempts", [], |r| r.get(0))
        .unwrap()
}

#[test]
fn a_recording_gets_the_same_grade_as_the_same_words_typed() {
    let words = ANSWER.replace('\n', " ");
    let spoken = judged(Stt::saying("whisper-1", &words, 6.0));
    let file = write_wav(&spoken, "answer.wav", &wav(6.0, true));
    let heard = grade_audio(&spoken, &file, &[]);
    assert_eq!(heard.code, 0, "{heard:?}");

    let typed = judged(Stt::saying("whisper-1", "", 1.0));
    typed.env.write("answer.txt", &words);
    let written = typed.grade_json(&[]);
    assert_eq!(written.code, 0, "{written:?}");

    let (a, b) = (heard.json(), written.json());
    for field in ["score", "key_points", "mistakes", "headline", "grader"] {
        assert_eq!(a[field], b[field], "{field}");
    }
    // The judge read the transcript as the answer, once.
    assert_eq!(chats(&spoken.server), 1);
    let prompt = spoken.server.requests().last().unwrap().prompt_text();
    assert!(prompt.contains(&words), "{prompt}");
    assert_eq!(a["spoken"]["transcript"], Value::from(words.clone()));
    let absolute = std::fs::canonicalize(spoken.env.path("answer.wav")).unwrap();
    assert_eq!(
        a["spoken"]["audio"],
        Value::from(absolute.display().to_string())
    );
    assert_eq!(a["spoken"]["model"], "whisper-1");
    assert_eq!(a["spoken"]["format"], "verbose_json");

    // Stored: the attempt's answer is the transcript, kept beside its recording.
    let conn = rusqlite::Connection::open(spoken.env.db()).unwrap();
    let (answer, transcript, path, secs): (String, String, String, f64) = conn
        .query_row(
            "SELECT a.answer, s.transcript, s.audio_path, s.audio_secs FROM attempts a JOIN spoken s ON s.attempt_id = a.id",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .unwrap();
    assert_eq!(
        (answer.as_str(), transcript.as_str()),
        (words.as_str(), words.as_str())
    );
    assert_eq!(
        (std::path::Path::new(&path), secs),
        (absolute.as_path(), 6.0)
    );
    assert!(
        spoken.env.path("answer.wav").exists(),
        "the recording is the user's"
    );
}

#[test]
fn the_request_is_multipart_with_the_file_the_model_and_the_format() {
    let t = judged(Stt::saying("whisper-1", "Tests catch regressions.", 2.0));
    let bytes = wav(2.0, true);
    let file = write_wav(&t, "take one.wav", &bytes);
    assert_eq!(grade_audio(&t, &file, &[]).code, 0);
    let sent = transcriptions(&t.server);
    assert_eq!(sent.len(), 1);
    let req = &sent[0];
    assert_eq!(
        (req.method.as_str(), req.path.as_str()),
        ("POST", "/v1/audio/transcriptions")
    );
    assert_eq!(
        req.header("authorization"),
        Some(format!("Bearer {KEY}").as_str())
    );
    let parts = multipart(req).unwrap();
    let names: Vec<&str> = parts.iter().map(|p| p.name.as_str()).collect();
    assert_eq!(names, ["file", "model", "prompt", "response_format"]);
    let file = &parts[0];
    assert_eq!(
        file.filename.as_deref(),
        Some("answer.wav"),
        "named by its kind"
    );
    assert_eq!(file.data, bytes, "the recording, byte for byte");
    assert_eq!(parts[1].text(), "whisper-1");
    assert_eq!(parts[3].text(), "verbose_json");
    assert!(
        parts[2].text().contains("like,"),
        "a style prompt with fillers"
    );
}

/// 60 words over 30 s, in three segments with 2 s and 3.5 s between them;
/// fillers: um ×2, like, you know, uh.
fn known() -> Stt {
    let s = |start: f64, end: f64, text: &str| (start, end, text.to_string());
    Stt {
        model: "whisper-1",
        segments: vec![
            s(0.0, 9.0, "Um, retrieval augmented generation fetches documents at query time, and, like, the retriever ranks the documents by similarity to the query."),
            s(11.0, 19.0, "The generator then reads the retrieved documents. You know, the index can go stale, so uh we rebuild the index nightly and um monitor"),
            s(22.5, 30.0, "recall on a labelled set. Fine-tuning changes the weights, which suits style better than facts."),
        ],
        json_only: false,
    }
}

#[test]
fn delivery_figures_for_a_known_transcript_are_shown_and_stored() {
    let t = judged(known());
    let file = write_wav(&t, "answer.wav", &wav(31.0, true));
    let out = grade_audio(&t, &file, &[]);
    assert_eq!(out.code, 0, "{out:?}");
    let d = &out.json()["delivery"];
    assert_eq!(d["words"], 60, "{d}");
    assert_eq!(d["audio_secs"], 31.0);
    assert_eq!(d["speaking_secs"], 30.0);
    assert_eq!(d["wpm"], 120.0);
    assert_eq!(d["pace"], "in_range");
    assert_eq!(d["fillers"], 5);
    assert_eq!(d["fillers_per_min"], 10.0);
    assert_eq!(
        d["filler_counts"],
        serde_json::json!([{"word": "um", "count": 2}, {"word": "like", "count": 1}, {"word": "you know", "count": 1}, {"word": "uh", "count": 1}])
    );
    assert_eq!(
        d["longest_pause"],
        serde_json::json!({"secs": 3.5, "at_secs": 19.0})
    );
    assert_eq!(
        d["repeated"][0],
        serde_json::json!({"word": "documents", "count": 3})
    );
    assert_eq!(
        d["suggested_secs"], 240.0,
        "the bank's default of 4 minutes"
    );

    let conn = rusqlite::Connection::open(t.env.db()).unwrap();
    let stored: String = conn
        .query_row("SELECT delivery FROM spoken", [], |r| r.get(0))
        .unwrap();
    let stored: Value = serde_json::from_str(&stored).unwrap();
    assert_eq!(&stored, d);

    // As text: after the grade, one line per figure.
    let out = t.grill(
        &["grade", "--question", "tq", "--answer-audio", &file],
        "",
        &[("GRILL_STT_MODEL", "whisper-1")],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let at = out
        .stdout
        .find("Delivery (spoken, transcribed by whisper-1")
        .expect("the block");
    let block = &out.stdout[at..];
    for line in [
        "length    0:31 spoken, of the 4 minutes suggested",
        "pace      120 words per minute, in range (120–160 is usual for an explanation)",
        "fillers   10.0 per minute: um ×2, like ×1, you know ×1, uh ×1",
        "pauses    longest 3.5 s, at 0:19",
        "repeated  documents ×3, query ×2, index ×2",
    ] {
        assert!(block.contains(line), "{line}\n{block}");
    }
    // And over time, in `stats`.
    let stats = t.grill(&["stats"], "", &[]);
    assert!(
        stats
            .stdout
            .contains("Delivery 2 spoken answers, medians: 120 words per minute, 10.0 fillers"),
        "{stats:?}"
    );
    let json = t.grill(&["stats", "--json"], "", &[]).json();
    assert_eq!(json["delivery"]["all"]["answers"], 2);
}

#[test]
fn what_is_not_an_answer_is_refused_with_exit_2_and_nothing_graded() {
    let t = judged(Stt::saying("whisper-1", "  ", 2.0));
    let silence = write_wav(&t, "silence.wav", &wav(2.0, false));
    let tone = write_wav(&t, "tone.wav", &wav(2.0, true));
    let cases: [(&str, &str); 4] = [
        (
            "answer.txt",
            "`answer.txt` is not audio: it starts like none of WAV, MP3",
        ),
        ("missing.wav", "cannot read the recording `missing.wav`"),
        (&silence, "`silence.wav` is silent: nothing was graded"),
        (
            &tone,
            "tone.wav`: the transcript is empty, and nothing was graded",
        ),
    ];
    for (file, said) in cases {
        let out = grade_audio(&t, file, &[]);
        assert_eq!(out.code, 2, "{file}: {out:?}");
        assert!(out.stderr.contains(said), "{file}: {out:?}");
        assert_eq!(out.stderr.matches("error:").count(), 1, "one line: {out:?}");
        assert_eq!(out.json()["attempt_id"], Value::Null, "{file}");
    }
    // Only the tone reached the server; nothing was graded or stored.
    assert_eq!(transcriptions(&t.server).len(), 1);
    assert_eq!(chats(&t.server), 0);
    assert_eq!(attempts(&t), 0);
    assert!(t.env.path("tone.wav").exists() && t.env.path("silence.wav").exists());

    // Over the upload limit: refused before it is read whole or sent.
    let big = std::fs::File::create(t.env.path("big.wav")).unwrap();
    big.set_len(26 * 1024 * 1024).unwrap();
    let out = grade_audio(&t, "big.wav", &[]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .contains("over the 25 MB a transcription server takes"),
        "{out:?}"
    );
    assert_eq!(transcriptions(&t.server).len(), 1);
}

#[test]
fn a_server_without_the_endpoint_or_the_model_says_so_in_one_line() {
    // Ollama answers any path it lacks with a plain-text 404.
    let t = Judged::new(|req, _| {
        if req.path.ends_with("/audio/transcriptions") {
            Reply::Status {
                status: 404,
                body: "404 page not found".into(),
                headers: vec![],
                delay: std::time::Duration::ZERO,
            }
        } else {
            echo_verdict(req)
        }
    });
    let file = write_wav(&t, "answer.wav", &wav(2.0, true));
    let out = grade_audio(&t, &file, &[]);
    assert_eq!(out.code, 1, "{out:?}");
    let base = t.server.base_url();
    assert!(
        out.stderr.contains(&format!("the server has no /audio/transcriptions: `{base}/audio/transcriptions` answered 404 (404 page not found)")),
        "{out:?}"
    );
    let absolute = std::fs::canonicalize(t.env.path("answer.wav")).unwrap();
    assert!(
        out.stderr.contains(&format!(
            "the recording is kept: `{}`; nothing was graded",
            absolute.display()
        )),
        "{out:?}"
    );
    assert_eq!((chats(&t.server), attempts(&t)), (0, 0));

    let t = judged(Stt::saying("whisper-1", "words", 2.0));
    let file = write_wav(&t, "answer.wav", &wav(2.0, true));
    let out = grade_audio(&t, &file, &[("GRILL_STT_MODEL", "whisper-9")]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(
        out.stderr.contains("the transcription server does not know the model `whisper-9` (404: The model `whisper-9` does not exist"),
        "{out:?}"
    );
    assert!(!out.stderr.contains(KEY) && !out.stdout.contains(KEY));
}

#[test]
fn a_server_that_refuses_verbose_json_is_asked_for_json() {
    let mut stt = Stt::saying("whisper-1", "Tests catch regressions.", 3.0);
    stt.json_only = true;
    let t = judged(stt.clone());
    let file = write_wav(&t, "answer.wav", &wav(3.0, true));
    let out = grade_audio(&t, &file, &[]);
    assert_eq!(out.code, 0, "{out:?}");
    let formats: Vec<String> = transcriptions(&t.server)
        .iter()
        .map(|r| {
            multipart(r)
                .unwrap()
                .into_iter()
                .find(|p| p.name == "response_format")
                .unwrap()
                .text()
        })
        .collect();
    assert_eq!(formats, ["verbose_json", "json"]);
    let v = out.json();
    assert_eq!(v["spoken"]["format"], "json");
    assert_eq!(v["spoken"]["segments"], 0);
    assert_eq!(v["delivery"]["audio_secs"], 3.0, "from the WAV header");
    assert_eq!(v["delivery"]["longest_pause"], Value::Null);

    // gpt-4o models take json only, and are asked for it first.
    stt.model = "gpt-4o-mini-transcribe";
    let t = judged(stt);
    let file = write_wav(&t, "answer.wav", &wav(3.0, true));
    let out = grade_audio(&t, &file, &[("GRILL_STT_MODEL", "gpt-4o-mini-transcribe")]);
    assert_eq!(out.code, 0, "{out:?}");
    assert_eq!(transcriptions(&t.server).len(), 1);
}

#[test]
fn the_doctor_reports_the_transcription_endpoint() {
    let t = judged(Stt::saying("whisper-1", "a tone", 1.0));
    let out = t.grill(&["doctor"], "", &[("GRILL_STT_MODEL", "whisper-1")]);
    assert_eq!(out.code, 0, "{out:?}");
    assert!(out.stdout.contains("✓ transcription"), "{out:?}");
    assert!(
        out.stdout.contains("(`whisper-1`, verbose_json)"),
        "{out:?}"
    );
    let sent = transcriptions(&t.server);
    assert_eq!(sent.len(), 1);
    let parts = multipart(&sent[0]).unwrap();
    assert!(parts[0].data.starts_with(b"RIFF"), "a generated WAV");

    // The judge's server without the endpoint: a warning, the doctor passes.
    let bare = Judged::new(|req, _| {
        if req.path.ends_with("/audio/transcriptions") {
            Reply::error(404, "Not Found")
        } else {
            echo_verdict(req)
        }
    });
    let out = bare.grill(&["doctor", "--json"], "", &[]);
    assert_eq!(out.code, 0, "{out:?}");
    let check = out.json()["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "transcription")
        .cloned()
        .unwrap();
    assert_eq!(check["status"], "warn");
    assert!(
        check["detail"]
            .as_str()
            .unwrap()
            .contains("has no /audio/transcriptions"),
        "{check}"
    );
    // Named, it must work: the doctor fails.
    let out = bare.grill(&["doctor"], "", &[("GRILL_STT_MODEL", "whisper-1")]);
    assert_eq!(out.code, 1, "{out:?}");
    assert!(out.stdout.contains("✗ transcription"), "{out:?}");
    assert!(
        out.stderr.contains("the transcription server is not ready"),
        "{out:?}"
    );
}

#[test]
fn config_shows_where_the_transcription_settings_come_from() {
    let t = judged(Stt::saying("whisper-1", "x", 1.0));
    let out = t.grill(&["config"], "", &[]);
    assert!(
        out.stdout
            .contains("stt_model    gpt-4o-mini-transcribe  (default)"),
        "{out:?}"
    );
    assert!(
        out.stdout.contains("(default: the judge's base_url)"),
        "{out:?}"
    );
    t.env.write(
        "config.toml",
        "stt_base_url = \"http://127.0.0.1:9/v1\"\nrecord_command = \"rec -q {path}\"\n",
    );
    let v = t
        .grill(
            &["config", "--json"],
            "",
            &[("GRILL_STT_MODEL", "whisper-1")],
        )
        .json();
    assert_eq!(v["stt_model"]["from"], "env GRILL_STT_MODEL");
    assert_eq!(v["stt_base_url"]["value"], "http://127.0.0.1:9/v1");
    assert_eq!(v["stt_base_url"]["from"], "config file");
    assert_eq!(v["record_command"]["value"], "rec -q {path}");
    t.env
        .write("config.toml", "record_command = \"arecord out.wav\"\n");
    let out = t.grill(&["config"], "", &[]);
    assert_eq!(out.code, 2, "{out:?}");
    assert!(
        out.stderr
            .contains("config.toml:1:18: record_command must contain {path}"),
        "{out:?}"
    );
}

/// A real transcription server with a real model, when one is given:
/// `GRILL_REAL_STT_URL`, `GRILL_REAL_STT_MODEL`, and `GRILL_REAL_STT_WAV`
/// (speech saying `GRILL_REAL_STT_SAYS`). Skipped (and passing) otherwise.
#[test]
fn a_real_transcription_server_hears_the_words() {
    let (Ok(url), Ok(model), Ok(file), Ok(says)) = (
        std::env::var("GRILL_REAL_STT_URL"),
        std::env::var("GRILL_REAL_STT_MODEL"),
        std::env::var("GRILL_REAL_STT_WAV"),
        std::env::var("GRILL_REAL_STT_SAYS"),
    ) else {
        eprintln!(
            "skipped: set GRILL_REAL_STT_URL, _MODEL, _WAV and _SAYS (scripts/real-stt does)"
        );
        return;
    };
    let t = Judged::new(|req, _| echo_verdict(req));
    let out = t.grill(
        &[
            "--timeout",
            "300",
            "grade",
            "--question",
            "tq",
            "--answer-audio",
            &file,
            "--json",
        ],
        "",
        &[("GRILL_STT_BASE_URL", &url), ("GRILL_STT_MODEL", &model)],
    );
    assert_eq!(out.code, 0, "{out:?}");
    let v = out.json();
    let heard = v["spoken"]["transcript"].as_str().unwrap().to_lowercase();
    let expected: Vec<String> = says
        .split_whitespace()
        .map(|w| {
            w.trim_matches(|c: char| !c.is_alphanumeric())
                .to_lowercase()
        })
        .filter(|w| w.len() > 3)
        .collect();
    let found = expected
        .iter()
        .filter(|w| heard.contains(w.as_str()))
        .count();
    println!(
        "real transcription: {found} of {} long words heard: {heard}",
        expected.len()
    );
    assert!(
        found * 2 >= expected.len(),
        "half the words at least: {heard}"
    );
    assert!(
        v["delivery"]["wpm"]
            .as_f64()
            .is_some_and(|w| w > 60.0 && w < 260.0),
        "{}",
        v["delivery"]
    );
    let doctor = t.grill(
        &["doctor"],
        "",
        &[("GRILL_STT_BASE_URL", &url), ("GRILL_STT_MODEL", &model)],
    );
    assert!(doctor.stdout.contains("✓ transcription"), "{doctor:?}");
}

#[test]
fn a_recorder_on_path_is_found_started_and_stopped() {
    use grill::ui::record::{new_path, Recorder, Recording};
    let dir = tempfile::tempdir().unwrap();
    let path = crate::common::fake_stt::recorder_on_path(dir.path(), &wav(2.5, true));
    let recorder = Recorder::find(None, Some(std::ffi::OsStr::new(&path))).unwrap();
    assert_eq!(recorder.name(), "arecord");
    let out = new_path(&dir.path().join("data/audio"), chrono::Utc::now()).unwrap();
    let recording = Recording::start(&recorder, &out).unwrap();
    let started = std::time::Instant::now();
    let done = recording.stop().unwrap();
    assert!(
        started.elapsed() < std::time::Duration::from_secs(3),
        "stopped on SIGINT"
    );
    assert_eq!(done.path, out);
    assert_eq!(done.secs, Some(2.5));
}
