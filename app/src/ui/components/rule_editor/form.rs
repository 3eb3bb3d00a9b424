//! The rule editor's state: one signal per field, rows with stable keys for the lists, loaded
//! from an `AlertRuleInput` and built back into one.

use leptos::prelude::*;

use crate::model::{
    AlertLevel, AlertRuleInput, AlertType, FilterOp, LabelMatcher, LogqlGenerator, PromqlGenerator,
    RuleReceiver, Severity,
};

#[derive(Clone, Copy)]
pub(super) struct MatcherRow {
    pub(super) key: usize,
    pub(super) op: RwSignal<String>,
    pub(super) name: RwSignal<String>,
    pub(super) value: RwSignal<String>,
}

impl MatcherRow {
    pub(super) fn new(key: usize, m: &LabelMatcher) -> Self {
        MatcherRow {
            key,
            op: RwSignal::new(m.op.as_str().to_string()),
            name: RwSignal::new(m.name.clone()),
            value: RwSignal::new(m.value.clone()),
        }
    }

    pub(super) fn get(&self) -> LabelMatcher {
        LabelMatcher {
            op: FilterOp::parse(&self.op.get()).unwrap_or_default(),
            name: self.name.get(),
            value: self.value.get(),
        }
    }
}

#[derive(Clone, Copy)]
pub(super) struct LevelRow {
    pub(super) key: usize,
    pub(super) op: RwSignal<String>,
    pub(super) value: RwSignal<String>,
    pub(super) severity: RwSignal<String>,
}

#[derive(Clone, Copy)]
pub(super) struct ReceiverRow {
    pub(super) key: usize,
    pub(super) channel: RwSignal<String>,
    pub(super) interval: RwSignal<String>,
}

/// The form's state: one signal per input, so typing re-renders only the preview.
#[derive(Clone, Copy)]
pub(super) struct Form {
    pub(super) name: RwSignal<String>,
    pub(super) kind: RwSignal<String>,
    pub(super) raw: RwSignal<bool>,
    pub(super) template: RwSignal<String>,
    pub(super) unit: RwSignal<String>,
    pub(super) matchers: RwSignal<Vec<MatcherRow>>,
    pub(super) duration: RwSignal<String>,
    pub(super) log_match: RwSignal<String>,
    pub(super) expr: RwSignal<String>,
    pub(super) for_: RwSignal<String>,
    pub(super) levels: RwSignal<Vec<LevelRow>>,
    pub(super) inhibit: RwSignal<String>,
    pub(super) receivers: RwSignal<Vec<ReceiverRow>>,
    pub(super) message: RwSignal<String>,
    pub(super) is_open: RwSignal<bool>,
    pub(super) next_key: StoredValue<usize>,
    /// The editor's owner: rows added in event handlers must live as long as the editor.
    pub(super) owner: StoredValue<Option<Owner>>,
}

impl Form {
    /// A new row with a fresh key, its signals owned by the editor.
    pub(super) fn make<T>(&self, f: impl FnOnce(usize) -> T) -> T {
        let key = self.next_key.get_value();
        self.next_key.set_value(key + 1);
        match self.owner.get_value() {
            Some(owner) => owner.with(|| f(key)),
            None => f(key),
        }
    }

    pub(super) fn new(r: &AlertRuleInput, first_channel: Option<i64>) -> Self {
        let (template, unit, matchers) = match (&r.promql_generator, &r.logql_generator) {
            (Some(g), _) => (g.key.to_string(), g.unit.clone(), g.label_matchers.clone()),
            (None, Some(g)) => (String::new(), String::new(), g.label_matchers.clone()),
            _ => Default::default(),
        };
        let levels = if r.alert_levels.is_empty() {
            vec![AlertLevel {
                compare_op: ">".into(),
                compare_value: String::new(),
                severity: Severity::Error,
            }]
        } else {
            r.alert_levels.clone()
        };
        let receivers = if r.receivers.is_empty() {
            vec![RuleReceiver {
                channel_id: first_channel.unwrap_or_default(),
                interval: "1h".into(),
            }]
        } else {
            r.receivers.clone()
        };
        let generated = r.promql_generator.is_some() || r.logql_generator.is_some();
        Form {
            name: RwSignal::new(r.name.clone()),
            kind: RwSignal::new(r.alert_type.as_str().into()),
            raw: RwSignal::new(!r.name.is_empty() && !generated),
            template: RwSignal::new(template),
            unit: RwSignal::new(unit),
            matchers: RwSignal::new(
                matchers
                    .iter()
                    .enumerate()
                    .map(|(i, m)| MatcherRow::new(i, m))
                    .collect(),
            ),
            duration: RwSignal::new(
                r.logql_generator
                    .as_ref()
                    .map(|g| g.duration.clone())
                    .unwrap_or_else(|| "5m".into()),
            ),
            log_match: RwSignal::new(
                r.logql_generator
                    .as_ref()
                    .map(|g| g.match_.clone())
                    .unwrap_or_default(),
            ),
            expr: RwSignal::new(if generated {
                String::new()
            } else {
                r.expr.clone()
            }),
            for_: RwSignal::new(if r.for_.is_empty() {
                "1m".into()
            } else {
                r.for_.clone()
            }),
            levels: RwSignal::new(
                levels
                    .iter()
                    .enumerate()
                    .map(|(i, l)| LevelRow {
                        key: 100 + i,
                        op: RwSignal::new(if l.compare_op.is_empty() {
                            ">".into()
                        } else {
                            l.compare_op.clone()
                        }),
                        value: RwSignal::new(l.compare_value.clone()),
                        severity: RwSignal::new(l.severity.as_str().into()),
                    })
                    .collect(),
            ),
            inhibit: RwSignal::new(r.inhibit_labels.join(", ")),
            receivers: RwSignal::new(
                receivers
                    .iter()
                    .enumerate()
                    .map(|(i, x)| ReceiverRow {
                        key: 200 + i,
                        channel: RwSignal::new(x.channel_id.to_string()),
                        interval: RwSignal::new(x.interval.clone()),
                    })
                    .collect(),
            ),
            message: RwSignal::new(r.message.clone()),
            is_open: RwSignal::new(r.is_open || r.name.is_empty()),
            next_key: StoredValue::new(1000),
            owner: StoredValue::new(Owner::current()),
        }
    }

    pub(super) fn input(&self) -> AlertRuleInput {
        let kind = AlertType::parse(&self.kind.get()).unwrap_or_default();
        let raw = self.raw.get();
        let matchers: Vec<LabelMatcher> = self
            .matchers
            .get()
            .iter()
            .map(MatcherRow::get)
            .filter(|m| !m.name.trim().is_empty())
            .collect();
        let promql_generator = (kind == AlertType::Monitor && !raw).then(|| {
            let key = crate::model::TemplateKey::from_typed(&self.template.get());
            PromqlGenerator {
                key,
                unit: self.unit.get(),
                label_matchers: matchers.clone(),
            }
        });
        let logql_generator = (kind == AlertType::Logging && !raw).then(|| LogqlGenerator {
            duration: self.duration.get(),
            match_: self.log_match.get(),
            label_matchers: matchers.clone(),
        });
        AlertRuleInput {
            name: self.name.get().trim().to_string(),
            alert_type: kind,
            expr: if raw { self.expr.get() } else { String::new() },
            for_: self.for_.get(),
            message: self.message.get(),
            inhibit_labels: self
                .inhibit
                .get()
                .split(',')
                .map(|s| s.trim().to_string())
                .filter(|s| !s.is_empty())
                .collect(),
            alert_levels: self
                .levels
                .get()
                .iter()
                .map(|l| AlertLevel {
                    compare_op: if raw { String::new() } else { l.op.get() },
                    compare_value: if raw { String::new() } else { l.value.get() },
                    severity: Severity::parse(&l.severity.get()).unwrap_or_default(),
                })
                .collect(),
            receivers: self
                .receivers
                .get()
                .iter()
                .map(|r| RuleReceiver {
                    channel_id: r.channel.get().parse().unwrap_or_default(),
                    interval: r.interval.get(),
                })
                .collect(),
            promql_generator,
            logql_generator,
            is_open: self.is_open.get(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::LabelMatcher;

    fn matcher(name: &str, value: &str) -> LabelMatcher {
        LabelMatcher {
            name: name.into(),
            value: value.into(),
            ..Default::default()
        }
    }

    /// What the editor shows for a rule is what it saves back, for each way a rule is written.
    #[test]
    fn a_rule_loaded_into_the_form_is_built_back_unchanged() {
        // Signals need an owner (and, with the server's features, its arena).
        Owner::new().with(a_rule_loaded_into_the_form_is_built_back_unchanged_body);
    }

    fn a_rule_loaded_into_the_form_is_built_back_unchanged_body() {
        let level = |op: &str, value: &str, severity| AlertLevel {
            compare_op: op.into(),
            compare_value: value.into(),
            severity,
        };
        let receivers = vec![RuleReceiver {
            channel_id: 3,
            interval: "1h".into(),
        }];
        let cases = [
            AlertRuleInput {
                name: "cpu-high".into(),
                alert_type: AlertType::Monitor,
                for_: "5m".into(),
                message: "cpu is high".into(),
                inhibit_labels: vec!["pod".into(), "node".into()],
                alert_levels: vec![
                    level(">", "80", Severity::Error),
                    level(">", "95", Severity::Critical),
                ],
                receivers: receivers.clone(),
                promql_generator: Some(PromqlGenerator {
                    key: crate::model::TemplateKey::new("containers", "container", "cpuUsage"),
                    unit: "percent".into(),
                    label_matchers: vec![matcher("pod", "web-1")],
                }),
                is_open: true,
                ..Default::default()
            },
            AlertRuleInput {
                name: "queue-deep".into(),
                alert_type: AlertType::Monitor,
                expr: "shop_queue_depth{namespace=\"shop\"} > 10".into(),
                for_: "1m".into(),
                alert_levels: vec![level("", "", Severity::Error)],
                receivers: receivers.clone(),
                ..Default::default()
            },
            AlertRuleInput {
                name: "errors-logged".into(),
                alert_type: AlertType::Logging,
                for_: "0m".into(),
                alert_levels: vec![level(">", "5", Severity::Error)],
                receivers,
                logql_generator: Some(LogqlGenerator {
                    duration: "5m".into(),
                    match_: "ERROR".into(),
                    label_matchers: vec![matcher("app", "shop")],
                }),
                is_open: true,
                ..Default::default()
            },
        ];
        for rule in cases {
            let form = Form::new(&rule, None);
            assert_eq!(form.input(), rule, "{}", rule.name);
        }
    }
}
