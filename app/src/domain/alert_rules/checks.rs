//! The checks a rule passes before anything renders: durations, label names, levels, sizes
//! and receivers, each error naming its field.

use super::*;
use crate::error::Code;

pub(super) fn duration(field: &str, value: &str) -> Result<u64, ApiError> {
    logql::duration::parse_ms(value.trim())
        .ok_or_else(|| ApiError::invalid(field, Code::NotDuration).arg(format!("{value:?}")))
}

pub(super) fn label_name(field: &str, name: &str) -> Result<(), ApiError> {
    crate::domain::templates::label_name(field, name)
}

pub(super) fn has_generator(input: &AlertRuleInput) -> bool {
    match input.alert_type {
        AlertType::Monitor => input.promql_generator.is_some(),
        AlertType::Logging => input.logql_generator.is_some(),
    }
}

pub(super) fn check_levels(input: &AlertRuleInput) -> Result<(), ApiError> {
    let field = "alertLevels";
    if input.alert_levels.is_empty() {
        return Err(ApiError::invalid(field, Code::NoLevel));
    }
    let mut seen = HashSet::new();
    for l in &input.alert_levels {
        if !seen.insert(l.severity) {
            return Err(ApiError::invalid(field, Code::SeverityTwice).arg(l.severity.as_str()));
        }
    }
    let generated = has_generator(input);
    if !generated && input.alert_levels.len() > 1 {
        return Err(ApiError::invalid(field, Code::RawOneLevel));
    }
    if generated {
        for (i, l) in input.alert_levels.iter().enumerate() {
            if !COMPARE_OPS.contains(&l.compare_op.as_str()) {
                return Err(ApiError::invalid(
                    &format!("alertLevels[{i}].compareOp"),
                    Code::ChooseOneOf,
                )
                .arg(COMPARE_OPS.join(" ")));
            }
            let value = l.compare_value.trim();
            let vf = format!("alertLevels[{i}].compareValue");
            if value.is_empty() {
                return Err(ApiError::invalid(&vf, Code::NoThreshold));
            }
            too_long(&vf, value, MAX_THRESHOLD_BYTES)?;
        }
    }
    if input.alert_levels.len() > 1 && input.inhibit_labels.is_empty() {
        return Err(ApiError::invalid(
            "inhibitLabels",
            Code::InhibitLabelsNeeded,
        ));
    }
    if input.inhibit_labels.len() > MAX_INHIBIT_LABELS {
        return Err(
            ApiError::invalid("inhibitLabels", Code::TooManyInhibitLabels).arg(MAX_INHIBIT_LABELS),
        );
    }
    for l in &input.inhibit_labels {
        label_name("inhibitLabels", l)?;
    }
    Ok(())
}

pub(super) fn too_long(field: &str, value: &str, max: usize) -> Result<(), ApiError> {
    if value.len() > max {
        return Err(ApiError::invalid(field, Code::SizeOver)
            .arg(value.len())
            .arg(max));
    }
    Ok(())
}

pub(super) fn check_receivers(input: &AlertRuleInput) -> Result<(), ApiError> {
    if input.receivers.is_empty() {
        return Err(ApiError::invalid("receivers", Code::NoChannel));
    }
    let mut seen = HashSet::new();
    for (i, r) in input.receivers.iter().enumerate() {
        if !seen.insert(r.channel_id) {
            return Err(ApiError::invalid("receivers", Code::ChannelTwice).arg(r.channel_id));
        }
        let ms = duration(&format!("receivers[{i}].interval"), &r.interval)?;
        if ms < 1000 {
            return Err(ApiError::invalid(
                &format!("receivers[{i}].interval"),
                Code::RepeatTooOften,
            ));
        }
    }
    Ok(())
}
