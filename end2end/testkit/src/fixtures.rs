//! Reading the recorded exchanges in `fixtures/` (request as sent, response as a JSON envelope),
//! for the contract tests that replay them against the stand-ins.

use std::path::{Path, PathBuf};

use serde_json::Value;

pub struct Exchange {
    pub name: String,
    /// The `# …` lines above the request.
    pub comments: Vec<String>,
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub body: String,
    pub response: Value,
}

impl Exchange {
    pub fn status(&self) -> u16 {
        self.response["status"].as_u64().unwrap_or(0) as u16
    }

    /// The recorded `Content-Type`, if any.
    pub fn content_type(&self) -> Option<String> {
        self.response["headers"]
            .as_array()?
            .iter()
            .filter_map(Value::as_str)
            .find_map(|h| h.strip_prefix("Content-Type: ").map(str::to_string))
    }
}

pub fn dir(kind: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(kind)
}

/// Every exchange of `fixtures/<kind>/`, in recorded (file name) order.
pub fn load(kind: &str) -> anyhow::Result<Vec<Exchange>> {
    let dir = dir(kind);
    let mut names: Vec<String> = std::fs::read_dir(&dir)?
        .filter_map(Result::ok)
        .filter_map(|e| {
            e.file_name()
                .to_str()
                .and_then(|n| n.strip_suffix(".request.txt"))
                .map(str::to_string)
        })
        .collect();
    names.sort();
    names
        .into_iter()
        .map(|name| {
            let text = std::fs::read_to_string(dir.join(format!("{name}.request.txt")))?;
            let comments = text
                .lines()
                .take_while(|l| l.starts_with('#'))
                .map(|l| l.trim_start_matches('#').trim().to_string())
                .collect();
            let text: String = text
                .lines()
                .skip_while(|l| l.starts_with('#'))
                .collect::<Vec<_>>()
                .join("\n");
            let (head, body) = text.split_once("\n\n").unwrap_or((&text, ""));
            let mut lines = head.lines();
            let request_line = lines.next().unwrap_or_default();
            let mut parts = request_line.split(' ');
            let method = parts.next().unwrap_or_default().to_string();
            let target = parts.next().unwrap_or_default().to_string();
            let headers = lines
                .filter_map(|l| l.split_once(": "))
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect();
            let response: Value = serde_json::from_str(&std::fs::read_to_string(
                dir.join(format!("{name}.response.json")),
            )?)?;
            Ok(Exchange {
                name,
                comments,
                method,
                target,
                headers,
                body: body.to_string(),
                response,
            })
        })
        .collect()
}
