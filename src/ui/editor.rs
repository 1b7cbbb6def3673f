//! `:edit`: the answer so far in `$VISUAL` or `$EDITOR` (default `vi`), in a
//! private temporary file that is removed afterwards.

use std::io::Write;

/// Opens the editor on `text` and returns what it holds when the editor exits.
pub fn edit(text: &str) -> Result<String, String> {
    let editor = std::env::var("VISUAL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| std::env::var("EDITOR").ok())
        .filter(|v| !v.trim().is_empty())
        .unwrap_or_else(|| "vi".into());
    let path = std::env::temp_dir().join(format!(
        "grill-answer-{}-{}.md",
        std::process::id(),
        fastrand::u32(..)
    ));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(&path)
        .and_then(|mut f| {
            f.write_all(text.as_bytes())?;
            // Editors expect a file to end with a newline; what is added goes below.
            if text.is_empty() {
                Ok(())
            } else {
                f.write_all(b"\n")
            }
        })
        .map_err(|e| format!("cannot write a temporary file for the editor: {e}"))?;
    // The editor command may carry arguments, e.g. "code --wait".
    let mut parts = editor.split_whitespace();
    let program = parts.next().unwrap_or("vi");
    let status = std::process::Command::new(program)
        .args(parts)
        .arg(&path)
        .status();
    let result = match status {
        Ok(s) if s.success() => std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read the edited answer: {e}")),
        Ok(s) => Err(format!(
            "the editor `{editor}` exited with {s}; the text so far is kept"
        )),
        Err(e) => Err(format!(
            "cannot start the editor `{editor}` (set EDITOR): {e}"
        )),
    };
    let _ = std::fs::remove_file(&path);
    result.map(|t| t.trim_end().to_string())
}
