//! Error messages in the caller's language. Services write English; the API layer translates on
//! the way out, keeping the `field: ` prefix so the message still names the input.

use super::Lang;

/// English message (numbers written as `{n}`) → Chinese.
const ZH: &[(&str, &str)] = &[
    ("must not be empty", "不能为空"),
    ("must be at most {n} characters", "最多 {n} 个字符"),
    (
        "use lowercase letters, digits and '-', starting and ending with a letter or digit",
        "只能使用小写字母、数字和 '-'，且以字母或数字开头和结尾",
    ),
    (
        "use letters, digits, '-', '_' and '.' only",
        "只能使用字母、数字、'-'、'_' 和 '.'",
    ),
    ("must be at least {n} characters", "至少 {n} 个字符"),
    ("must be at most {n} bytes", "最多 {n} 字节"),
    ("is not an e-mail address", "不是有效的邮箱地址"),
    (
        "must be an http:// or https:// URL",
        "必须是 http:// 或 https:// 地址",
    ),
    (
        "does not look like a kubeconfig (no 'clusters' section)",
        "不像是 kubeconfig（缺少 clusters 部分）",
    ),
    (
        "is required for a standalone cluster",
        "独立部署集群必须填写",
    ),
    ("must be an absolute path", "必须是绝对路径"),
    (
        "must be namespace/service:port, or none",
        "必须是 命名空间/服务:端口，或 none",
    ),
    ("please log in", "请先登录"),
    (
        "you do not have permission to do this",
        "你没有执行此操作的权限",
    ),
    ("tenant not found", "租户不存在"),
    ("project not found", "项目不存在"),
    ("environment not found", "环境不存在"),
    ("member not found", "成员不存在"),
    ("cluster not found", "集群不存在"),
    ("user not found", "用户不存在"),
    ("token not found", "令牌不存在"),
    (
        "too many failed attempts, try again later",
        "失败次数过多，请稍后再试",
    ),
    (
        "internal error, see the server log",
        "内部错误，请查看服务器日志",
    ),
    ("wrong username or password", "用户名或密码错误"),
    ("a tenant with this name already exists", "同名租户已存在"),
    (
        "the tenant still has {n} project(s); delete them first",
        "该租户还有 {n} 个项目，请先删除",
    ),
    ("no user with this name", "没有这个用户"),
    ("is already a member", "已经是成员"),
    (
        "a tenant needs at least one admin",
        "租户至少需要一名管理员",
    ),
    (
        "this tenant already has a project with this name",
        "该租户已有同名项目",
    ),
    (
        "the project still has {n} environment(s); delete them first",
        "该项目还有 {n} 个环境，请先删除",
    ),
    ("choose a registered cluster", "请选择已注册的集群"),
    (
        "this namespace of the cluster already belongs to an environment",
        "该集群的这个命名空间已属于某个环境",
    ),
    (
        "this project already has an environment with this name",
        "该项目已有同名环境",
    ),
    ("a cluster with this name already exists", "同名集群已存在"),
    (
        "{n} environment(s) still use this cluster; delete them first",
        "还有 {n} 个环境使用该集群，请先删除",
    ),
    ("is already taken", "已被占用"),
    (
        "you cannot disable or demote yourself",
        "不能停用自己或取消自己的管理员身份",
    ),
    ("is not your current password", "与当前密码不符"),
    (
        "must be between {n} and {n} days",
        "必须在 {n} 到 {n} 天之间",
    ),
    ("cross-site request refused", "已拒绝跨站请求"),
];

/// A field name as errors use it: `name`, `settings.prometheus_url`.
fn is_field(s: &str) -> bool {
    !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
}

/// Replaces each run of digits with `{n}`, returning the pattern and the numbers in order.
fn pattern(s: &str) -> (String, Vec<String>) {
    let (mut out, mut nums, mut cur) = (String::new(), Vec::new(), String::new());
    for c in s.chars() {
        if c.is_ascii_digit() {
            cur.push(c);
            continue;
        }
        if !cur.is_empty() {
            nums.push(std::mem::take(&mut cur));
            out.push_str("{n}");
        }
        out.push(c);
    }
    if !cur.is_empty() {
        nums.push(cur);
        out.push_str("{n}");
    }
    (out, nums)
}

pub fn localize_error(lang: Lang, message: &str) -> String {
    if lang == Lang::En {
        return message.to_string();
    }
    let (field, rest) = match message.split_once(": ") {
        Some((f, r)) if is_field(f) => (Some(f), r),
        _ => (None, message),
    };
    let (key, nums) = pattern(rest);
    let Some((_, zh)) = ZH.iter().find(|(en, _)| *en == key) else {
        return message.to_string();
    };
    let mut text = String::new();
    let mut nums = nums.into_iter();
    let mut parts = zh.split("{n}").peekable();
    while let Some(part) = parts.next() {
        text.push_str(part);
        if parts.peek().is_some() {
            text.push_str(&nums.next().unwrap_or_default());
        }
    }
    match field {
        Some(f) => format!("{f}：{text}"),
        None => text,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn translates_with_field_and_numbers() {
        let cases = [
            ("name: must not be empty", "name：不能为空"),
            (
                "description: must be at most 1024 characters",
                "description：最多 1024 个字符",
            ),
            ("tenant not found", "租户不存在"),
            (
                "tenant_id: the tenant still has 3 project(s); delete them first",
                "tenant_id：该租户还有 3 个项目，请先删除",
            ),
            (
                "expires_in_days: must be between 1 and 3650 days",
                "expires_in_days：必须在 1 到 3650 天之间",
            ),
            (
                "settings.prometheus_url: must be an http:// or https:// URL",
                "settings.prometheus_url：必须是 http:// 或 https:// 地址",
            ),
        ];
        for (en, zh) in cases {
            assert_eq!(localize_error(Lang::ZhCn, en), zh);
            assert_eq!(localize_error(Lang::En, en), en);
        }
    }

    #[test]
    fn unknown_messages_stay_as_they_are() {
        assert_eq!(
            localize_error(Lang::ZhCn, "malformed request: x"),
            "malformed request: x"
        );
    }

    #[test]
    fn every_translation_keeps_its_placeholders() {
        for (en, zh) in ZH {
            assert_eq!(en.matches("{n}").count(), zh.matches("{n}").count(), "{en}");
        }
    }
}
