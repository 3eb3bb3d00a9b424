//! The checks a rule passes before anything renders: durations, label names, levels, sizes
//! and receivers, each error naming its field.

use super::*;

pub(super) fn duration(field: &str, value: &str) -> Result<u64, ApiError> {
    logql::duration::parse_ms(value.trim()).ok_or_else(|| {
        ApiError::invalid(
            field,
            format!("{value:?} is not a duration like 30s, 5m or 1h"),
        )
    })
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
        return Err(ApiError::invalid(field, "add at least one alert level"));
    }
    let mut seen = HashSet::new();
    for l in &input.alert_levels {
        if !seen.insert(l.severity) {
            return Err(ApiError::invalid(
                field,
                format!("severity {} is used twice", l.severity.as_str()),
            ));
        }
    }
    let generated = has_generator(input);
    if !generated && input.alert_levels.len() > 1 {
        return Err(ApiError::invalid(
            field,
            "a raw expression has one level (it holds its own comparison); use a template for several",
        ));
    }
    if generated {
        for (i, l) in input.alert_levels.iter().enumerate() {
            if !COMPARE_OPS.contains(&l.compare_op.as_str()) {
                return Err(ApiError::invalid(
                    &format!("alertLevels[{i}].compareOp"),
                    format!("choose one of {}", COMPARE_OPS.join(" ")),
                ));
            }
            let value = l.compare_value.trim();
            let vf = format!("alertLevels[{i}].compareValue");
            if value.is_empty() {
                return Err(ApiError::invalid(&vf, "enter a threshold"));
            }
            too_long(&vf, value, MAX_THRESHOLD_BYTES)?;
        }
    }
    if input.alert_levels.len() > 1 && input.inhibit_labels.is_empty() {
        return Err(ApiError::invalid(
            "inhibitLabels",
            "with more than one level, name the labels that tell alerts apart (a critical alert then silences the error one with the same labels)",
        ));
    }
    if input.inhibit_labels.len() > MAX_INHIBIT_LABELS {
        return Err(ApiError::invalid(
            "inhibitLabels",
            format!("name at most {MAX_INHIBIT_LABELS} labels"),
        ));
    }
    for l in &input.inhibit_labels {
        label_name("inhibitLabels", l)?;
    }
    Ok(())
}

pub(super) fn too_long(field: &str, value: &str, max: usize) -> Result<(), ApiError> {
    if value.len() > max {
        return Err(ApiError::invalid(
            field,
            format!("is {} bytes; at most {max} are allowed", value.len()),
        ));
    }
    Ok(())
}

pub(super) fn check_receivers(input: &AlertRuleInput) -> Result<(), ApiError> {
    if input.receivers.is_empty() {
        return Err(ApiError::invalid(
            "receivers",
            "choose at least one channel",
        ));
    }
    let mut seen = HashSet::new();
    for (i, r) in input.receivers.iter().enumerate() {
        if !seen.insert(r.channel_id) {
            return Err(ApiError::invalid(
                "receivers",
                format!("channel {} is chosen twice", r.channel_id),
            ));
        }
        let ms = duration(&format!("receivers[{i}].interval"), &r.interval)?;
        if ms < 1000 {
            return Err(ApiError::invalid(
                &format!("receivers[{i}].interval"),
                "repeat at most once a second",
            ));
        }
    }
    Ok(())
}
