//! Error messages in the caller's language, chosen by the error's code: services say what went
//! wrong as a `Code` with arguments, and the API layer (server) or the page (browser) renders it,
//! keeping the `field：` prefix so the message still names the input.

use super::Lang;
use crate::error::{ApiError, Code, fill};

/// Code → Chinese text, with the same `{name}` placeholders as the English one.
const ZH: &[(Code, &str)] = &[
    (Code::Unauthenticated, "请先登录"),
    (Code::Forbidden, "你没有执行此操作的权限"),
    (Code::TooManyAttempts, "失败次数过多，请稍后再试"),
    (Code::Internal, "内部错误，请查看服务器日志"),
    (Code::CrossSite, "已拒绝跨站请求"),
    (Code::MalformedRequest, "请求格式错误：{detail}"),
    (Code::Unreachable, "无法连接服务器：{detail}"),
    (Code::NoEndpoint, "没有这个接口：{detail}"),
    (Code::ServerFailure, "服务器出错：{detail}"),
    (
        Code::TooManyQueries,
        "查询过于频繁，请在 {seconds} 秒后重试",
    ),
    (
        Code::TooManyStreams,
        "打开的未读计数连接过多，请关闭一个标签页",
    ),
    (Code::WrongLogin, "用户名或密码错误"),
    (Code::NotCurrentPassword, "与当前密码不符"),
    (Code::WrongNotifyToken, "渠道不存在或通知令牌错误"),
    (Code::WrongHistoryToken, "集群不存在或历史令牌错误"),
    (
        Code::TokenNamespaceOnly,
        "此令牌只能提交命名空间 {namespace} 的告警",
    ),
    (Code::TenantNotFound, "租户不存在"),
    (Code::ProjectNotFound, "项目不存在"),
    (Code::EnvironmentNotFound, "环境不存在"),
    (Code::MemberNotFound, "成员不存在"),
    (Code::ClusterNotFound, "集群不存在"),
    (Code::UserNotFound, "用户不存在"),
    (Code::TokenNotFound, "令牌不存在"),
    (Code::AlertRuleNotFound, "告警规则不存在"),
    (Code::BlacklistEntryNotFound, "黑名单条目不存在"),
    (Code::ChannelNotFound, "告警渠道不存在"),
    (Code::DashboardNotFound, "监控面板不存在"),
    (Code::DashboardTemplateNotFound, "面板模板不存在"),
    (Code::TemplateRuleNotFound, "模板规则不存在"),
    (Code::OrphanNotFound, "孤立对象不存在"),
    (Code::Empty, "不能为空"),
    (Code::Required, "必须填写"),
    (Code::TooLong, "最多 {max} 个字符"),
    (Code::TooManyBytes, "最多 {max} 字节"),
    (Code::TooShort, "至少 {min} 个字符"),
    (Code::SizeOver, "有 {size} 字节，最多允许 {max} 字节"),
    (Code::OutOfRange, "超出范围"),
    (Code::NotPositive, "必须为正数"),
    (
        Code::DnsLabel,
        "只能使用小写字母、数字和 '-'，且以字母或数字开头和结尾",
    ),
    (Code::UsernameChars, "只能使用字母、数字、'-'、'_' 和 '.'"),
    (Code::WordChars, "只能使用字母、数字和 '_'"),
    (Code::NotLabelName, "{value} 不是有效的标签名"),
    (Code::NotEmail, "不是有效的邮箱地址"),
    (Code::NotEmailDetail, "不是有效的邮箱地址（{detail}）"),
    (Code::NotUrl, "不是有效的地址（{detail}）"),
    (Code::HttpUrl, "必须是 http:// 或 https:// 地址"),
    (Code::UrlCredentials, "不能包含用户名或密码"),
    (Code::AbsolutePath, "必须是绝对路径"),
    (Code::NotJson, "不是 JSON：{detail}"),
    (Code::ControlChars, "不能包含控制字符"),
    (Code::ChooseOneOf, "请选择其中之一：{choices}"),
    (Code::NotDuration, "{value} 不是时长，例如 30s、5m 或 1h"),
    (
        Code::DurationAtLeastSecond,
        "请填写至少 1s 的时长，例如 30s 或 1m",
    ),
    (Code::NameTaken, "已被占用"),
    (Code::AlreadyMember, "已经是成员"),
    (Code::TenantExists, "同名租户已存在"),
    (Code::ProjectExists, "该租户已有同名项目"),
    (Code::EnvironmentExists, "该项目已有同名环境"),
    (Code::ClusterExists, "同名集群已存在"),
    (Code::ChannelExists, "同名告警渠道已存在"),
    (Code::DashboardExists, "该环境已有同名监控面板"),
    (Code::RuleExists, "同名规则已存在"),
    (Code::TemplateRuleExists, "该资源下已有同名规则"),
    (
        Code::TenantHasProjects,
        "该租户还有 {count} 个项目，请先删除",
    ),
    (
        Code::ProjectHasEnvironments,
        "该项目还有 {count} 个环境，请先删除",
    ),
    (
        Code::ClusterInUse,
        "还有 {count} 个环境使用该集群，请先删除",
    ),
    (
        Code::EnvironmentResidue,
        "该环境还有 {objects}，请先移除，以免集群中仍有对象在运行",
    ),
    (
        Code::ChannelInUse,
        "有 {count} 条告警规则使用该渠道（{rules}），请先修改它们的接收者",
    ),
    (Code::TemplateInUse, "无法重命名或移动：正被 {users} 使用"),
    (Code::KeyInUse, "{key} 正被 {users} 使用"),
    (Code::LastAdmin, "租户至少需要一名管理员"),
    (Code::NoSuchUser, "没有这个用户"),
    (Code::CannotDemoteSelf, "不能停用自己或取消自己的管理员身份"),
    (Code::TokenDays, "必须在 {min} 到 {max} 天之间"),
    (Code::ChooseCluster, "请选择已注册的集群"),
    (Code::NamespaceTaken, "该集群的这个命名空间已属于某个环境"),
    (
        Code::MonitoringNamespace,
        "{namespace} 是该集群的监控命名空间（其中的规则和告警属于平台）；只有系统管理员可以把它绑定到环境",
    ),
    (
        Code::LoggingNamespace,
        "{namespace} 是该集群的日志命名空间；只有系统管理员可以把它绑定到环境",
    ),
    (
        Code::ReservedNamespace,
        "{namespace} 为平台保留；只有系统管理员可以把它绑定到环境",
    ),
    (
        Code::ClusterUnchecked,
        "无法检查该集群中环境的采集器和黑名单（{detail}），请在集群可访问时重试",
    ),
    (
        Code::NotKubeconfig,
        "不像是 kubeconfig（缺少 clusters 部分）",
    ),
    (Code::Kubeconfig, "kubeconfig 无法使用：{detail}"),
    (Code::RequiredStandalone, "独立部署集群必须填写"),
    (Code::RequiredToPrepare, "准备独立部署集群时必须填写"),
    (Code::ServiceRef, "必须是 命名空间/服务:端口，或 none"),
    (Code::ClusterSettingsUnreadable, "无法读取该集群保存的设置"),
    (Code::NothingToTest, "没有可测试的地址"),
    (
        Code::NoKubernetesApi,
        "集群 {cluster} 是独立部署的，没有 Kubernetes API",
    ),
    (
        Code::ComponentMissing,
        "集群 {cluster} 没有配置 {component}",
    ),
    (
        Code::NoGemscopeUrl,
        "集群 {cluster} 不知道如何访问 Gemscope：请设置它的 Gemscope 地址（或服务器的 public_url）",
    ),
    (Code::ClusterFailed, "集群 {cluster}：{detail}"),
    (Code::Kubernetes, "Kubernetes：{detail}"),
    (Code::Upstream, "外部服务出错：{detail}"),
    (Code::ServerFailed, "{server}：{detail}"),
    (Code::ClusterObjects, "集群中的对象有误：{detail}"),
    (Code::OrphanPrepared, "{object} 由准备步骤写入；请重新检查"),
    (Code::OrphanOwned, "{object} 现在属于某条规则；请重新检查"),
    (
        Code::RepairDiffers,
        "修复后 {name} 仍与数据库不一致：{errors}",
    ),
    (Code::ServiceMissing, "服务 {service} 不存在"),
    (
        Code::ServiceMonitorForeign,
        "ServiceMonitor {object} 已存在且不由 Gemscope 管理；请在集群中删除或修改它",
    ),
    (Code::NamedPortNeeded, "请选择服务的一个具名端口"),
    (
        Code::NoNamedPorts,
        "{port} 不是该服务的端口：它没有具名端口",
    ),
    (
        Code::NotNamedPort,
        "{port} 不是该服务的具名端口（它有：{ports}）",
    ),
    (Code::PathSlash, "必须以 / 开头"),
    (
        Code::UrlPath,
        "必须是最多 256 个字符的 URL 路径，不含空格、? 或 #",
    ),
    (Code::ScrapeInterval, "必须是时长，例如 15s、30s 或 1m"),
    (Code::ScrapeIntervalRange, "必须在 1s 到 1h 之间"),
    (Code::NotPromql, "不是有效的 PromQL：{detail}"),
    (Code::NotLogql, "不是有效的 LogQL：{detail}"),
    (Code::NotRegex, "不是有效的正则表达式：{detail}"),
    (Code::NotVector, "模板的表达式不是向量"),
    (Code::EndBeforeStart, "必须晚于开始时间"),
    (
        Code::TooManyPoints,
        "该时间范围超过 {max} 个数据点；步长至少为 {step}s",
    ),
    (Code::NamespaceFromEnvironment, "命名空间由环境决定"),
    (
        Code::QueryOtherNamespace,
        "{selector} 选择了其他命名空间；此环境只能查询命名空间 \"{namespace}\"",
    ),
    (
        Code::SelectorNamespace,
        "{selector} 必须选择 namespace=\"{namespace}\"（此命名空间的规则只能读取自己的序列）",
    ),
    (
        Code::NoOwnSeries,
        "必须至少读取命名空间 \"{namespace}\" 的一个序列（没有选择器的表达式不属于此命名空间）",
    ),
    (
        Code::NoOwnStream,
        "必须至少读取命名空间 \"{namespace}\" 的一个日志流",
    ),
    (
        Code::StreamNamespace,
        "每个日志流选择器都必须选择 namespace=\"{namespace}\"",
    ),
    (
        Code::LogsOtherNamespace,
        "选择了其他命名空间；此环境只能读取命名空间 \"{namespace}\"",
    ),
    (
        Code::CountValuesNamespace,
        "count_values 不能写入 namespace 标签",
    ),
    (Code::UncheckableExpr, "包含 Gemscope 无法检查的表达式"),
    (
        Code::WritesNamespace,
        "不能写入 namespace 标签（否则告警会冒充其他命名空间的序列）",
    ),
    (Code::BadMatcher, "{matcher} 不是有效的匹配条件"),
    (Code::BadMatcherDetail, "{matcher}：{detail}"),
    (
        Code::ClusterWideTemplate,
        "{key} 是集群级模板；环境只能使用命名空间级模板",
    ),
    (Code::MissingVariable, "监控面板没有变量 {name}"),
    (Code::TemplateMissing, "模板 {key} 不存在"),
    (Code::TemplateKeyForm, "请写成 范围.资源.规则"),
    (Code::NoLevel, "请至少添加一个告警级别"),
    (Code::SeverityTwice, "级别 {severity} 重复"),
    (
        Code::RawOneLevel,
        "原始表达式只有一个级别（比较已在表达式中）；多个级别请使用模板",
    ),
    (Code::NoThreshold, "请填写阈值"),
    (
        Code::InhibitLabelsNeeded,
        "有多个级别时，请填写区分告警的标签（严重告警会抑制标签相同的错误告警）",
    ),
    (Code::TooManyInhibitLabels, "最多 {max} 个标签"),
    (Code::NoChannel, "请至少选择一个告警渠道"),
    (Code::ChannelTwice, "渠道 {channel} 被选择了两次"),
    (Code::ChannelMissing, "渠道 {channel} 不存在"),
    (Code::RepeatTooOften, "重复间隔至少为一秒"),
    (Code::TooManyMatchers, "最多 {max} 个匹配条件"),
    (
        Code::EqualsManyValues,
        "{matcher}：匹配多个值请使用 =~ 或 !~",
    ),
    (
        Code::OwnNamespaceMatcher,
        "命名空间就是规则自己的；请删除 namespace 匹配条件",
    ),
    (Code::NoExpr, "请填写 PromQL 表达式或选择模板"),
    (Code::LogWindow, "时间窗口须在 1s 到 10m 之间"),
    (Code::NoLogMatch, "请填写要计数的文本或正则表达式"),
    (Code::NoLogLabel, "请至少用一个标签选择日志"),
    (Code::NoLogqlExpr, "请填写 LogQL 指标表达式或使用日志生成器"),
    (
        Code::LogAlertNeedsMetric,
        "告警需要指标查询，例如 count_over_time({…}[5m]) > 0",
    ),
    (Code::CannotRender, "无法生成：{detail}"),
    (
        Code::UnclosedAction,
        "有未闭合的 {{；要显示花括号请写 {{ \"{{\" }}",
    ),
    (
        Code::ActionNotAllowed,
        "不允许使用 {{{action}}}；请使用 {{ $labels.<name> }}、{{ $value }} 或 {{ $externalLabels.<name> }}，可加 | humanize、humanizePercentage、humanizeDuration 或 printf \"%.2f\"",
    ),
    (
        Code::RuleRename,
        "规则不能重命名；请以新名称复制一份并删除这条",
    ),
    (
        Code::RuleInOtherNamespace,
        "命名空间 {namespace} 中已有名为 {name} 的规则",
    ),
    (
        Code::MonitoringNamespaceRule,
        "集群的监控命名空间存放系统规则；请将此规则写为该集群的系统规则",
    ),
    (
        Code::SystemRuleNameTaken,
        "监控命名空间中有环境规则与系统规则同名，因此系统规则未安装；请重命名或删除那条规则",
    ),
    (Code::FileTooLarge, "文件超过 1 MiB"),
    (Code::NotRuleList, "不是 YAML 格式的规则列表：{detail}"),
    (Code::RuleInFile, "{name}：{detail}"),
    (Code::NoLabels, "告警需要标签，但没有填写"),
    (
        Code::BlacklistNamespace,
        "这里只能屏蔽命名空间 {namespace} 的告警（gems_namespace）",
    ),
    (Code::UnknownChannelType, "未知的渠道类型 {kind}"),
    (Code::RobotUrl, "不是{vendor}机器人地址（应为 {example}）"),
    (Code::PhoneNumber, "必须是由数字组成的手机号，可以 + 开头"),
    (Code::NeedsEntry, "至少需要一项"),
    (Code::TooManyEntries, "最多 {max} 项"),
    (Code::IdPrefix, "格式应为 {prefix}123456789"),
    (Code::SmtpHost, "必须是主机名或地址，不含协议和端口"),
    (Code::Port, "必须是 1 到 65535 之间的端口"),
    (Code::RequiredWithUser, "填写了用户名时必须填写"),
    (Code::PasswordNeedsTls, "密码只通过 STARTTLS 或 TLS 发送"),
    (
        Code::SecretDestinationChanged,
        "目标地址已更改；请重新填写此密钥（已保存的密钥不会发送到新的服务器）",
    ),
    (Code::ChannelConfig, "渠道配置有误：{detail}"),
    (
        Code::NotWebhookPayload,
        "不是 Alertmanager webhook 的内容：{detail}",
    ),
    (Code::NoAlerts, "内容中没有告警"),
    (Code::DeliveryFailed, "发送失败（{upstream}）：{detail}"),
    (Code::StepForm, "请填写时长，例如 30s 或 1m"),
    (Code::RefreshForm, "请填写 off 或时长，例如 {choices}"),
    (
        Code::TimeBounds,
        "请使用 now-<时长>（结束为 now），或开始早于结束的 Unix 秒数",
    ),
    (Code::NoQuery, "请至少添加一个查询"),
    (Code::TargetTwice, "此图表中查询名 {name} 重复"),
    (Code::UnknownUnit, "未知的单位 {unit}"),
    (Code::NoSuchResource, "没有这个资源"),
    (Code::ChooseFile, "请至少选择一个文件"),
    (Code::TemplateFiles, "模板文件有误：{detail}"),
    (Code::NoDashboardTemplate, "没有面板模板 {name}"),
    (Code::RangeChoice, "请选择 1m 到 7d 之间的范围"),
    (Code::ChooseTenant, "请选择要搜索的租户"),
    (Code::TooManyIds, "一次最多 {max} 个"),
    (Code::TooManyTokens, "最多 {max} 个搜索词"),
    (Code::AlertStatus, "必须是 firing 或 resolved，留空表示两者"),
    (Code::UnknownTimeZone, "未知的时区 {name}"),
    (Code::ToBeforeFrom, "不能早于开始时间"),
    (Code::RangeTooLong, "时间范围超过 {max} 天"),
    (Code::ArchiveFailed, "无法写入历史归档"),
    (
        Code::JobRunning,
        "{job} 已经处于 {status} 状态（运行 {run}）",
    ),
];

/// The Chinese text of a code, if it has one.
fn zh(code: Code) -> Option<&'static str> {
    ZH.iter().find(|(c, _)| *c == code).map(|(_, t)| *t)
}

/// The error's text in `lang`, with the field it names, rendered from the code (so a message the
/// server already translated reads right in the page's language). An unknown code (from a newer
/// server) keeps the message it came with.
pub fn localize(lang: Lang, e: &ApiError) -> String {
    let Some(template) = zh(e.code).filter(|_| lang == Lang::ZhCn) else {
        return e.english();
    };
    let text = fill(template, e.code.params(), &e.args);
    match &e.field {
        Some(f) => format!("{f}：{text}"),
        None => text,
    }
}

/// The text alone, without the field: for a message shown under the field it is about, which
/// would otherwise name the field twice (its label, then `name: …`).
pub fn localize_text(lang: Lang, e: &ApiError) -> String {
    let Some(template) = zh(e.code).filter(|_| lang == Lang::ZhCn) else {
        if e.code == Code::Unknown {
            let prefix = e.field.as_deref().map(|f| format!("{f}: "));
            return prefix
                .and_then(|p| e.message.strip_prefix(&p).map(str::to_string))
                .unwrap_or_else(|| e.message.clone());
        }
        return e.text();
    };
    fill(template, e.code.params(), &e.args)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::placeholders;
    use http::StatusCode;

    #[test]
    fn a_message_under_its_field_does_not_repeat_the_field() {
        let e = ApiError::invalid("name", Code::Empty);
        assert_eq!(localize(Lang::En, &e), "name: must not be empty");
        assert_eq!(localize_text(Lang::En, &e), "must not be empty");
        assert!(!localize_text(Lang::ZhCn, &e).contains("name"));
        let mut unknown = e.clone();
        unknown.code = Code::Unknown;
        unknown.message = "name: from a newer server".into();
        assert_eq!(localize_text(Lang::En, &unknown), "from a newer server");
    }

    #[test]
    fn every_code_has_a_chinese_text() {
        let missing: Vec<_> = Code::ALL.iter().filter(|c| zh(**c).is_none()).collect();
        assert!(missing.is_empty(), "codes without zh-CN text: {missing:?}");
    }

    #[test]
    fn every_chinese_text_keeps_the_placeholders_and_differs_from_english() {
        for (code, text) in ZH {
            let params = code.params();
            assert_eq!(
                placeholders(text, params),
                placeholders(code.english(), params),
                "{code:?}"
            );
            assert_ne!(*text, code.english(), "{code:?} is not translated");
        }
    }

    #[test]
    fn no_code_is_translated_twice() {
        for (i, (code, _)) in ZH.iter().enumerate() {
            assert!(ZH[i + 1..].iter().all(|(c, _)| c != code), "{code:?} twice");
        }
    }

    #[test]
    fn translates_with_field_and_arguments() {
        let cases = [
            (ApiError::invalid("name", Code::Empty), "name：不能为空"),
            (
                ApiError::invalid("description", Code::TooLong).arg(1024),
                "description：最多 1024 个字符",
            ),
            (ApiError::not_found(Code::TenantNotFound), "租户不存在"),
            (
                ApiError::conflict("tenant_id", Code::TenantHasProjects).arg(3),
                "tenant_id：该租户还有 3 个项目，请先删除",
            ),
            (
                ApiError::invalid("expires_in_days", Code::TokenDays)
                    .arg(1)
                    .arg(3650),
                "expires_in_days：必须在 1 到 3650 天之间",
            ),
        ];
        for (e, zh) in cases {
            assert_eq!(localize(Lang::ZhCn, &e), zh);
            assert_eq!(localize(Lang::En, &e), e.message);
        }
    }

    #[test]
    fn an_unknown_code_keeps_its_message() {
        let mut e = ApiError::new(StatusCode::CONFLICT, Code::Unknown);
        e.message = "from a newer server".into();
        assert_eq!(localize(Lang::ZhCn, &e), "from a newer server");
    }
}
