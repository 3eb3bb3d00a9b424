//! `Status` bodies as kube-apiserver writes them (see `fixtures/kube/` 09, 11, 23–32, 44–54).

use http::StatusCode;
use serde_json::{Map, Value, json};

use super::catalog::Resource;
use super::validate::{Problem, field_path};

/// What a handler answers: a status, a JSON body and any `Warning` headers.
#[derive(Debug)]
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
    pub warnings: Vec<String>,
}

impl Reply {
    pub fn ok(status: StatusCode, body: Value) -> Self {
        Reply {
            status,
            body,
            warnings: Vec::new(),
        }
    }
}

fn failure(code: u16, message: &str, reason: Option<&str>, details: Option<Value>) -> Reply {
    let mut body = Map::new();
    body.insert("kind".into(), json!("Status"));
    body.insert("apiVersion".into(), json!("v1"));
    body.insert("metadata".into(), json!({}));
    body.insert("status".into(), json!("Failure"));
    body.insert("message".into(), json!(message));
    if let Some(r) = reason {
        body.insert("reason".into(), json!(r));
    }
    if let Some(d) = details {
        body.insert("details".into(), d);
    }
    body.insert("code".into(), json!(code));
    Reply::ok(
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        Value::Object(body),
    )
}

fn details(res: &Resource, name: &str) -> Value {
    let mut d = Map::new();
    if !name.is_empty() {
        d.insert("name".into(), json!(name));
    }
    if !res.group.is_empty() {
        d.insert("group".into(), json!(res.group));
    }
    d.insert("kind".into(), json!(res.plural));
    Value::Object(d)
}

pub fn not_found(res: &Resource, name: &str) -> Reply {
    failure(
        404,
        &format!("{} \"{name}\" not found", res.qualified()),
        Some("NotFound"),
        Some(details(res, name)),
    )
}

pub fn namespace_not_found(ns: &str) -> Reply {
    failure(
        404,
        &format!("namespaces \"{ns}\" not found"),
        Some("NotFound"),
        Some(json!({"name": ns, "kind": "namespaces"})),
    )
}

pub fn service_not_found(name: &str) -> Reply {
    failure(
        404,
        &format!("services \"{name}\" not found"),
        Some("NotFound"),
        Some(json!({"name": name, "kind": "services"})),
    )
}

pub fn no_endpoints(service: &str) -> Reply {
    failure(
        503,
        &format!("no endpoints available for service \"{service}\""),
        Some("ServiceUnavailable"),
        None,
    )
}

pub fn already_exists(res: &Resource, name: &str) -> Reply {
    failure(
        409,
        &format!("{} \"{name}\" already exists", res.qualified()),
        Some("AlreadyExists"),
        Some(details(res, name)),
    )
}

pub fn modified(res: &Resource, name: &str) -> Reply {
    failure(
        409,
        &format!(
            "Operation cannot be fulfilled on {} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
            res.qualified()
        ),
        Some("Conflict"),
        Some(details(res, name)),
    )
}

pub fn deleted(res: &Resource, name: &str, uid: &Value) -> Reply {
    let mut d = details(res, name);
    d["uid"] = uid.clone();
    Reply::ok(
        StatusCode::OK,
        json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Success", "details": d}),
    )
}

/// 422 with one cause per problem, as the recorded 28, 31 and 52.
pub fn invalid(res: &Resource, name: &str, problems: &[Problem]) -> Reply {
    let causes: Vec<(String, &str, String)> = problems
        .iter()
        .filter_map(|p| {
            p.cause()
                .map(|(reason, msg)| (field_path(p.path()), reason, msg))
        })
        .collect();
    let summary: Vec<String> = causes.iter().map(|(f, _, m)| format!("{f}: {m}")).collect();
    let joined = if summary.len() == 1 {
        summary[0].clone()
    } else {
        format!("[{}]", summary.join(", "))
    };
    let kind = if res.group.is_empty() {
        res.kind.clone()
    } else {
        format!("{}.{}", res.kind, res.group)
    };
    let mut d = Map::new();
    d.insert("name".into(), json!(name));
    if !res.group.is_empty() {
        d.insert("group".into(), json!(res.group));
    }
    d.insert("kind".into(), json!(res.kind));
    d.insert(
        "causes".into(),
        json!(
            causes
                .iter()
                .map(|(f, r, m)| json!({"reason": r, "message": m, "field": f}))
                .collect::<Vec<_>>()
        ),
    );
    failure(
        422,
        &format!("{kind} \"{name}\" is invalid: {joined}"),
        Some("Invalid"),
        Some(Value::Object(d)),
    )
}

/// 422 for a write a test wants refused (what an admission webhook's denial looks like).
pub fn injected_invalid(plural: &str) -> Reply {
    failure(
        422,
        &format!("admission webhook \"validate.{plural}\" denied the request: injected rejection"),
        Some("Invalid"),
        None,
    )
}

/// 500 without a reason: what an apply that does not fit the schema gets (recorded 27, 29).
pub fn typed_patch(res: &Resource, ns: Option<&str>, name: &str, why: &str) -> Reply {
    let at = match ns {
        Some(ns) => format!("{ns}/{name}"),
        None => name.to_string(),
    };
    failure(
        500,
        &format!(
            "failed to create typed patch object ({at}; {}, Kind={}): {why}",
            res.api_version(),
            res.kind
        ),
        None,
        None,
    )
}

/// 409 of an apply that would take fields from another manager (recorded 32).
pub fn apply_conflict(conflicts: &[(String, String)]) -> Reply {
    let message = match conflicts {
        [(manager, field)] => {
            format!("Apply failed with 1 conflict: conflict with \"{manager}\": {field}")
        }
        many => {
            let lines: Vec<String> = many
                .iter()
                .map(|(m, f)| format!("- conflict with \"{m}\": {f}"))
                .collect();
            format!(
                "Apply failed with {} conflicts: {}",
                many.len(),
                lines.join("\n")
            )
        }
    };
    let causes: Vec<Value> = conflicts
        .iter()
        .map(|(m, f)| {
            json!({"reason": "FieldManagerConflict", "message": format!("conflict with \"{m}\""), "field": f})
        })
        .collect();
    failure(
        409,
        &message,
        Some("Conflict"),
        Some(json!({"causes": causes})),
    )
}

pub fn bad_request(message: &str) -> Reply {
    failure(400, message, Some("BadRequest"), None)
}

pub fn unsupported_media(content_type: &str) -> Reply {
    failure(
        415,
        &format!(
            "the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got {content_type})"
        ),
        Some("UnsupportedMediaType"),
        None,
    )
}

pub fn method_not_allowed() -> Reply {
    failure(
        405,
        "the server does not allow this method on the requested resource",
        Some("MethodNotAllowed"),
        None,
    )
}

pub fn path_not_found(path: &str) -> Reply {
    failure(
        404,
        &format!("the server could not find the requested resource ({path})"),
        Some("NotFound"),
        None,
    )
}

pub fn unauthorized() -> Reply {
    failure(401, "Unauthorized", Some("Unauthorized"), None)
}

/// The anonymous user is let in and then refused by RBAC (recorded 09: 403, not 401).
pub fn forbidden_anonymous(verb: &str, plural: &str, group: &str, ns: Option<&str>) -> Reply {
    let scope = match ns {
        Some(ns) => format!("in the namespace \"{ns}\""),
        None => "at the cluster scope".to_string(),
    };
    failure(
        403,
        &format!(
            "{plural} is forbidden: User \"system:anonymous\" cannot {verb} resource \"{plural}\" in API group \"{group}\" {scope}"
        ),
        Some("Forbidden"),
        Some(json!({"kind": plural})),
    )
}

pub fn internal(message: &str) -> Reply {
    failure(500, message, Some("InternalError"), None)
}

pub fn expired(requested: u64, oldest: u64) -> Value {
    json!({"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": format!("too old resource version: {requested} ({oldest})"),
        "reason": "Expired", "code": 410})
}
