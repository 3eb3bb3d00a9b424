//! Prometheus remote write (1.0) for tests: a protobuf `WriteRequest`, snappy-compressed, posted
//! to `/api/v1/write` (Prometheus started with `--web.enable-remote-write-receiver`). Used for
//! recent samples; history older than the head block goes in with promtool instead.

use prost::Message;

#[derive(Clone, PartialEq, prost::Message)]
pub struct WriteRequest {
    #[prost(message, repeated, tag = "1")]
    pub timeseries: Vec<TimeSeries>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct TimeSeries {
    #[prost(message, repeated, tag = "1")]
    pub labels: Vec<Label>,
    #[prost(message, repeated, tag = "2")]
    pub samples: Vec<Sample>,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Label {
    #[prost(string, tag = "1")]
    pub name: String,
    #[prost(string, tag = "2")]
    pub value: String,
}

#[derive(Clone, PartialEq, prost::Message)]
pub struct Sample {
    #[prost(double, tag = "1")]
    pub value: f64,
    #[prost(int64, tag = "2")]
    pub timestamp: i64,
}

/// One series: `__name__` plus labels (sorted, as Prometheus requires), samples as
/// (unix seconds, value).
pub fn series(name: &str, labels: &[(&str, &str)], samples: &[(i64, f64)]) -> TimeSeries {
    let mut l: Vec<Label> = labels
        .iter()
        .map(|(n, v)| Label {
            name: n.to_string(),
            value: v.to_string(),
        })
        .collect();
    l.push(Label {
        name: "__name__".into(),
        value: name.into(),
    });
    l.sort_by(|a, b| a.name.cmp(&b.name));
    TimeSeries {
        labels: l,
        samples: samples
            .iter()
            .map(|(t, v)| Sample {
                value: *v,
                timestamp: t * 1000,
            })
            .collect(),
    }
}

pub async fn push(prometheus_url: &str, timeseries: Vec<TimeSeries>) {
    let body = WriteRequest { timeseries }.encode_to_vec();
    let compressed = snap::raw::Encoder::new()
        .compress_vec(&body)
        .expect("snappy");
    let r = reqwest::Client::new()
        .post(format!("{prometheus_url}/api/v1/write"))
        .header("Content-Encoding", "snappy")
        .header("Content-Type", "application/x-protobuf")
        .header("X-Prometheus-Remote-Write-Version", "0.1.0")
        .body(compressed)
        .send()
        .await
        .expect("remote write");
    let status = r.status();
    assert!(
        status.is_success(),
        "remote write: {status} {}",
        r.text().await.unwrap_or_default()
    );
}
