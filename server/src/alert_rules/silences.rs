//! Silences Gemscope keeps in Alertmanager: exactly one per disabled rule (matchers
//! `gems_namespace` and `gems_alertname`, found again by them and its comment, inventory §5.1),
//! and blacklist entries, each silencing one exact label set until removed (§5.3).

use std::collections::BTreeMap;

use app::domain::alert_rules::{LABEL_ALERTNAME, LABEL_NAMESPACE, disable_comment};
use app::error::{ApiError, Code};
use app::model::BlacklistEntry;

use super::{RulePlace, RuleSilences};

use crate::observe::alertmanager::{Alertmanager, AlertmanagerError, Silence, SilenceMatcher};

/// Blacklist silences are told apart by this comment prefix (KubeGems' convention).
pub const BLACKLIST_PREFIX: &str = "fingerprint-";
/// Long enough to mean "until removed".
const FOREVER_YEARS: i64 = 100;

fn until_removed() -> chrono::DateTime<chrono::Utc> {
    chrono::Utc::now() + chrono::TimeDelta::days(365 * FOREVER_YEARS)
}

fn rule_labels(ns: &str, name: &str) -> BTreeMap<String, String> {
    BTreeMap::from([
        (LABEL_NAMESPACE.to_string(), ns.to_string()),
        (LABEL_ALERTNAME.to_string(), name.to_string()),
    ])
}

/// The silences in force that disable this rule.
async fn rule_silences(
    am: &Alertmanager,
    ns: &str,
    name: &str,
) -> Result<Vec<Silence>, AlertmanagerError> {
    let labels = rule_labels(ns, name);
    let comment = disable_comment(name);
    Ok(am
        .silences(&[(LABEL_NAMESPACE, ns), (LABEL_ALERTNAME, name)])
        .await?
        .into_iter()
        .filter(|s| s.comment == comment && s.matches_exactly(&labels))
        .collect())
}

/// Makes Alertmanager agree with `enabled`: no silence, or exactly one. Calling it again with
/// the same value changes nothing; a duplicate left by someone else is expired.
/// Returns how many silences it created or expired.
pub async fn ensure_rule(
    am: &Alertmanager,
    ns: &str,
    name: &str,
    enabled: bool,
) -> Result<usize, AlertmanagerError> {
    let existing = rule_silences(am, ns, name).await?;
    let keep = usize::from(!enabled);
    let mut changes = 0;
    for s in existing.iter().skip(keep) {
        am.expire(&s.id).await?;
        changes += 1;
    }
    if !enabled && existing.is_empty() {
        let matchers: Vec<SilenceMatcher> = rule_labels(ns, name)
            .iter()
            .map(|(k, v)| SilenceMatcher::eq(k, v))
            .collect();
        am.create(
            &matchers,
            until_removed(),
            "gemscope",
            &disable_comment(name),
        )
        .await?;
        changes += 1;
    }
    Ok(changes)
}

fn entry(s: Silence) -> BlacklistEntry {
    BlacklistEntry {
        labels: s
            .matchers
            .iter()
            .map(|m| (m.name.clone(), m.value.clone()))
            .collect(),
        id: s.id,
        created_by: s.created_by,
        comment: s.comment,
        ends_at: s.ends_at,
    }
}

/// The blacklist entries whose silence is limited to `namespace` (`None`: every entry).
async fn blacklist(
    am: &Alertmanager,
    namespace: Option<&str>,
) -> Result<Vec<BlacklistEntry>, AlertmanagerError> {
    let filters: Vec<(&str, &str)> = namespace
        .map(|ns| (LABEL_NAMESPACE, ns))
        .into_iter()
        .collect();
    let mut out: Vec<BlacklistEntry> = am
        .silences(&filters)
        .await?
        .into_iter()
        .filter(|s| s.comment.starts_with(BLACKLIST_PREFIX))
        .filter(|s| s.matchers.iter().all(|m| m.is_equal && !m.is_regex))
        .map(entry)
        .collect();
    out.sort_by(|a, b| a.labels.cmp(&b.labels));
    Ok(out)
}

/// Silences exactly `labels` until removed; the same labels again reuse the entry.
async fn blacklist_add(
    am: &Alertmanager,
    labels: &BTreeMap<String, String>,
    fingerprint: &str,
    created_by: &str,
) -> Result<BlacklistEntry, AlertmanagerError> {
    let filters: Vec<(&str, &str)> = labels
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let existing = am
        .silences(&filters)
        .await?
        .into_iter()
        .find(|s| s.comment.starts_with(BLACKLIST_PREFIX) && s.matches_exactly(labels));
    if let Some(s) = existing {
        return Ok(entry(s));
    }
    let matchers: Vec<SilenceMatcher> = labels
        .iter()
        .map(|(k, v)| SilenceMatcher::eq(k, v))
        .collect();
    let comment = format!("{BLACKLIST_PREFIX}{fingerprint}");
    let until = until_removed();
    let id = am.create(&matchers, until, created_by, &comment).await?;
    Ok(BlacklistEntry {
        id,
        labels: labels.clone(),
        created_by: created_by.to_string(),
        comment,
        ends_at: crate::observe::alertmanager::rfc3339(until),
    })
}

impl RuleSilences {
    /// The blacklist entries left in a namespace (an environment being deleted); `None` when
    /// the cluster has no Alertmanager, so no silences can be left.
    pub async fn entries_left(
        &self,
        handle: &crate::clusters::service::ClusterHandle,
        namespace: &str,
    ) -> Result<Option<Vec<BlacklistEntry>>, AlertmanagerError> {
        match self.alertmanager(handle) {
            Ok(am) => blacklist(&am, Some(namespace)).await.map(Some),
            Err(_) => Ok(None),
        }
    }

    /// The blacklist of a scope: an environment sees only its namespace's entries.
    pub async fn list(&self, place: &RulePlace) -> Result<Vec<BlacklistEntry>, ApiError> {
        let am = self.alertmanager(&place.handle)?;
        let ns = (!place.global).then_some(place.namespace.as_str());
        Ok(blacklist(&am, ns).await?)
    }

    /// Silences one exact label set until removed; an environment's entry must name its own
    /// namespace.
    pub async fn add(
        &self,
        place: &RulePlace,
        labels: &BTreeMap<String, String>,
        by: &str,
    ) -> Result<BlacklistEntry, ApiError> {
        if labels.is_empty() {
            return Err(ApiError::invalid("labels", Code::NoLabels));
        }
        for k in labels.keys() {
            app::domain::templates::label_name("labels", k)?;
        }
        if !place.global && labels.get(LABEL_NAMESPACE) != Some(&place.namespace) {
            return Err(ApiError::invalid("labels", Code::BlacklistNamespace).arg(&place.namespace));
        }
        let am = self.alertmanager(&place.handle)?;
        let fingerprint = crate::channels::history::label_fingerprint(labels);
        Ok(blacklist_add(&am, labels, &fingerprint, by).await?)
    }

    /// Removes an entry the scope can see (an id from elsewhere is not found).
    pub async fn remove(&self, place: &RulePlace, id: &str) -> Result<(), ApiError> {
        let listed = self.list(place).await?;
        if !listed.iter().any(|e| e.id == id) {
            return Err(ApiError::not_found(Code::BlacklistEntryNotFound));
        }
        Ok(self.alertmanager(&place.handle)?.expire(id).await?)
    }
}
