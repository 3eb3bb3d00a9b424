//! The stable error codes: what went wrong, as a name that does not change when the English text
//! is reworded. The UI and the server translate an error by its code and arguments
//! (`i18n::errors`), never by its English sentence.
//!
//! Each code has its parameters and its English text; `{name}` in a text is the parameter of that
//! name, and any other brace is literal. Codes are serialised in snake_case (`too_long`).

macro_rules! codes {
    ($( $code:ident $( ( $($param:ident),+ ) )? = $english:literal, )+) => {
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
        #[serde(rename_all = "snake_case")]
        pub enum Code {
            $( $code, )+
            /// A code this build does not know (a newer server): the message is shown as sent.
            #[serde(other)]
            Unknown,
        }

        impl Code {
            /// Every code but `Unknown`: what the translation tests walk.
            pub const ALL: &'static [Code] = &[ $( Code::$code, )+ ];

            pub fn english(self) -> &'static str {
                match self {
                    $( Code::$code => $english, )+
                    Code::Unknown => "{detail}",
                }
            }

            /// The parameter names, in the order `ApiError::arg` supplies them.
            pub fn params(self) -> &'static [&'static str] {
                match self {
                    $( Code::$code => &[ $( $( stringify!($param) ),+ )? ], )+
                    Code::Unknown => &["detail"],
                }
            }
        }
    };
}

codes! {
    // Access and the request itself.
    Unauthenticated = "please log in",
    Forbidden = "you do not have permission to do this",
    TooManyAttempts = "too many failed attempts, try again later",
    Internal = "internal error, see the server log",
    CrossSite = "cross-site request refused",
    MalformedRequest(detail) = "malformed request: {detail}",
    Unreachable(detail) = "cannot reach the server: {detail}",
    NoEndpoint(detail) = "no such endpoint: {detail}",
    ServerFailure(detail) = "{detail}",
    TooManyQueries(seconds) = "too many queries; try again in {seconds}s",
    TooManyStreams = "too many open unread-count streams; close a tab",
    WrongLogin = "wrong username or password",
    NotCurrentPassword = "is not your current password",
    WrongNotifyToken = "unknown channel or wrong notify token",
    WrongHistoryToken = "unknown cluster or wrong history token",
    TokenNamespaceOnly(namespace) = "this token may post alerts of namespace {namespace} only",

    // Objects that are not there.
    TenantNotFound = "tenant not found",
    ProjectNotFound = "project not found",
    EnvironmentNotFound = "environment not found",
    MemberNotFound = "member not found",
    ClusterNotFound = "cluster not found",
    UserNotFound = "user not found",
    TokenNotFound = "token not found",
    AlertRuleNotFound = "alert rule not found",
    BlacklistEntryNotFound = "blacklist entry not found",
    ChannelNotFound = "channel not found",
    DashboardNotFound = "dashboard not found",
    DashboardTemplateNotFound = "dashboard template not found",
    TemplateRuleNotFound = "template rule not found",
    OrphanNotFound = "orphan not found",

    // Field checks shared by every form.
    Empty = "must not be empty",
    Required = "is required",
    TooLong(max) = "must be at most {max} characters",
    TooManyBytes(max) = "must be at most {max} bytes",
    TooShort(min) = "must be at least {min} characters",
    SizeOver(size, max) = "is {size} bytes; at most {max} are allowed",
    OutOfRange = "out of range",
    NotPositive = "must be positive",
    DnsLabel = "use lowercase letters, digits and '-', starting and ending with a letter or digit",
    UsernameChars = "use letters, digits, '-', '_' and '.' only",
    WordChars = "use letters, digits and '_' only",
    NotLabelName(value) = "{value} is not a label name",
    NotEmail = "is not an e-mail address",
    NotEmailDetail(detail) = "is not an e-mail address ({detail})",
    NotUrl(detail) = "is not a URL ({detail})",
    HttpUrl = "must be an http:// or https:// URL",
    UrlCredentials = "must not carry a user name or password",
    AbsolutePath = "must be an absolute path",
    NotJson(detail) = "not JSON: {detail}",
    ControlChars = "must not contain control characters",
    ChooseOneOf(choices) = "choose one of {choices}",
    NotDuration(value) = "{value} is not a duration like 30s, 5m or 1h",
    DurationAtLeastSecond = "use a duration of at least 1s, like 30s or 1m",

    // Names that are taken, and objects still in use.
    NameTaken = "is already taken",
    AlreadyMember = "is already a member",
    TenantExists = "a tenant with this name already exists",
    ProjectExists = "this tenant already has a project with this name",
    EnvironmentExists = "this project already has an environment with this name",
    ClusterExists = "a cluster with this name already exists",
    ChannelExists = "a channel of this name exists",
    DashboardExists = "this environment has a dashboard with this name",
    RuleExists = "a rule with this name exists",
    TemplateRuleExists = "a rule with this name already exists in this resource",
    TenantHasProjects(count) = "the tenant still has {count} project(s); delete them first",
    ProjectHasEnvironments(count) = "the project still has {count} environment(s); delete them first",
    ClusterInUse(count) = "{count} environment(s) still use this cluster; delete them first",
    EnvironmentResidue(objects) = "the environment still has {objects}; remove them first so nothing keeps running in the cluster",
    ChannelInUse(count, rules) = "{count} alert rule(s) notify this channel ({rules}); change their receivers first",
    TemplateInUse(users) = "cannot rename or move: used by {users}",
    KeyInUse(key, users) = "{key} is in use by {users}",

    // Tenancy and accounts.
    LastAdmin = "a tenant needs at least one admin",
    NoSuchUser = "no user with this name",
    CannotDemoteSelf = "you cannot disable or demote yourself",
    TokenDays(min, max) = "must be between {min} and {max} days",
    ChooseCluster = "choose a registered cluster",
    NamespaceTaken = "this namespace of the cluster already belongs to an environment",
    MonitoringNamespace(namespace) = "{namespace} is this cluster's monitoring namespace (its rules and alerts are the platform's); only a system administrator can bind it to an environment",
    LoggingNamespace(namespace) = "{namespace} is this cluster's logging namespace; only a system administrator can bind it to an environment",
    ReservedNamespace(namespace) = "{namespace} is reserved for the platform; only a system administrator can bind it to an environment",
    ClusterUnchecked(detail) = "the cluster could not be checked for the environment's collectors and blacklist ({detail}); try again when it answers",

    // Clusters.
    NotKubeconfig = "does not look like a kubeconfig (no 'clusters' section)",
    Kubeconfig(detail) = "{detail}",
    RequiredStandalone = "is required for a standalone cluster",
    RequiredToPrepare = "is required to prepare a standalone cluster",
    ServiceRef = "must be namespace/service:port, or none",
    ClusterSettingsUnreadable = "the cluster's stored settings cannot be read",
    NothingToTest = "no endpoint is configured to test",
    NoKubernetesApi(cluster) = "cluster {cluster} is standalone: it has no Kubernetes API",
    ComponentMissing(cluster, component) = "cluster {cluster} has no {component} configured",
    NoGemscopeUrl(cluster) = "cluster {cluster} does not know how to reach Gemscope: set its Gemscope URL (or the server's public_url)",
    ClusterFailed(cluster, detail) = "cluster {cluster}: {detail}",
    Kubernetes(detail) = "kubernetes: {detail}",
    Upstream(detail) = "{detail}",
    ServerFailed(server, detail) = "{server}: {detail}",
    ClusterObjects(detail) = "{detail}",
    OrphanPrepared(object) = "{object} is written by prepare; run the check again",
    OrphanOwned(object) = "{object} belongs to a rule now; run the check again",
    RepairDiffers(name, errors) = "{name} still differs from the database after the repair: {errors}",

    // Collectors.
    ServiceMissing(service) = "service {service} does not exist",
    ServiceMonitorForeign(object) = "ServiceMonitor {object} exists and is not managed by Gemscope; remove it or change it in the cluster",
    NamedPortNeeded = "choose a named port of the service",
    NoNamedPorts(port) = "{port} is not a port of the service: it has no named ports",
    NotNamedPort(port, ports) = "{port} is not a named port of the service (it has: {ports})",
    PathSlash = "must start with /",
    UrlPath = "must be a URL path of at most 256 characters, without spaces, ? or #",
    ScrapeInterval = "must be a duration such as 15s, 30s or 1m",
    ScrapeIntervalRange = "must be between 1s and 1h",

    // Queries and their namespace.
    NotPromql(detail) = "not valid PromQL: {detail}",
    NotLogql(detail) = "not valid LogQL: {detail}",
    NotRegex(detail) = "not a regular expression: {detail}",
    NotVector = "the template's expression is not a vector",
    EndBeforeStart = "must be after the start",
    TooManyPoints(max, step) = "gives more than {max} points for this range; use at least {step}s",
    NamespaceFromEnvironment = "the namespace is set by the environment",
    QueryOtherNamespace(selector, namespace) = "{selector} selects another namespace; this environment can only query namespace \"{namespace}\"",
    SelectorNamespace(selector, namespace) = "{selector} must select namespace=\"{namespace}\" (a rule of this namespace reads only its own series)",
    NoOwnSeries(namespace) = "must read at least one series of namespace \"{namespace}\" (an expression without a selector is not a rule of this namespace)",
    NoOwnStream(namespace) = "must read at least one log stream of namespace \"{namespace}\"",
    StreamNamespace(namespace) = "every stream selector must select namespace=\"{namespace}\"",
    LogsOtherNamespace(namespace) = "selects another namespace; this environment reads only namespace \"{namespace}\"",
    CountValuesNamespace = "count_values must not write the namespace label",
    UncheckableExpr = "holds an expression Gemscope cannot check",
    WritesNamespace = "must not write the namespace label (the alert would claim another namespace's series)",
    BadMatcher(matcher) = "{matcher} is not a valid matcher",
    BadMatcherDetail(matcher, detail) = "{matcher}: {detail}",
    ClusterWideTemplate(key) = "{key} is a cluster-wide template; an environment can only use namespaced ones",
    MissingVariable(name) = "the dashboard has no variable {name}",

    // Alert rules.
    TemplateMissing(key) = "there is no template {key}",
    TemplateKeyForm = "name scope.resource.rule",
    NoLevel = "add at least one alert level",
    SeverityTwice(severity) = "severity {severity} is used twice",
    RawOneLevel = "a raw expression has one level (it holds its own comparison); use a template for several",
    NoThreshold = "enter a threshold",
    InhibitLabelsNeeded = "with more than one level, name the labels that tell alerts apart (a critical alert then silences the error one with the same labels)",
    TooManyInhibitLabels(max) = "name at most {max} labels",
    NoChannel = "choose at least one channel",
    ChannelTwice(channel) = "channel {channel} is chosen twice",
    ChannelMissing(channel) = "channel {channel} does not exist",
    RepeatTooOften = "repeat at most once a second",
    TooManyMatchers(max) = "use at most {max} matchers",
    EqualsManyValues(matcher) = "{matcher}: use =~ or !~ to match several values",
    OwnNamespaceMatcher = "the namespace is the rule's own; remove the namespace matcher",
    NoExpr = "enter a PromQL expression or choose a template",
    LogWindow = "use a window from 1s to 10m",
    NoLogMatch = "enter the text or regular expression to count",
    NoLogLabel = "select the logs with at least one label",
    NoLogqlExpr = "enter a LogQL metric expression or use the log generator",
    LogAlertNeedsMetric = "an alert needs a metric query, for example count_over_time({…}[5m]) > 0",
    CannotRender(detail) = "cannot render: {detail}",
    UnclosedAction = "has a {{ without a closing }}; write {{ \"{{\" }} to show the braces",
    ActionNotAllowed(action) = "{{{action}}} is not allowed; use {{ $labels.<name> }}, {{ $value }} or {{ $externalLabels.<name> }}, optionally with | humanize, humanizePercentage, humanizeDuration or printf \"%.2f\"",
    RuleRename = "a rule cannot be renamed; copy it under the new name and delete this one",
    RuleInOtherNamespace(name, namespace) = "a rule named {name} exists in namespace {namespace}",
    MonitoringNamespaceRule = "the cluster's monitoring namespace holds the system rules; write this rule as a system rule of the cluster",
    SystemRuleNameTaken = "an environment's rule has the system rule's name in the monitoring namespace, so the system rule is not installed; rename or delete that rule",
    FileTooLarge = "the file is larger than 1 MiB",
    NotRuleList(detail) = "not a YAML list of rules: {detail}",
    RuleInFile(name, detail) = "{name}: {detail}",
    NoLabels = "an alert has labels; none were given",
    BlacklistNamespace(namespace) = "only alerts of namespace {namespace} can be blacklisted here (gems_namespace)",

    // Channels and notifications.
    UnknownChannelType(kind) = "unknown channel type {kind}",
    RobotUrl(vendor, example) = "is not a {vendor} robot URL (expected {example})",
    PhoneNumber = "must be a phone number of digits, optionally starting with +",
    NeedsEntry = "needs at least one entry",
    TooManyEntries(max) = "must have at most {max} entries",
    IdPrefix(prefix) = "must look like {prefix}123456789",
    SmtpHost = "must be a host name or address, without scheme or port",
    Port = "must be a port between 1 and 65535",
    RequiredWithUser = "is required when a user name is set",
    PasswordNeedsTls = "a password is only sent over STARTTLS or TLS",
    SecretDestinationChanged = "the destination changed; enter this secret again (a kept one is never sent to a new server)",
    ChannelConfig(detail) = "{detail}",
    NotWebhookPayload(detail) = "not an Alertmanager webhook payload: {detail}",
    NoAlerts = "the payload has no alerts",
    DeliveryFailed(upstream, detail) = "delivery failed ({upstream}): {detail}",

    // Dashboards and templates.
    StepForm = "use a duration such as 30s or 1m",
    RefreshForm(choices) = "use off or a duration, such as {choices}",
    TimeBounds = "use now-<duration> (and end now), or unix seconds with start before end",
    NoQuery = "add at least one query",
    TargetTwice(name) = "target name {name} is used twice in this graph",
    UnknownUnit(unit) = "unknown unit {unit}",
    NoSuchResource = "no such resource",
    ChooseFile = "choose at least one file",
    TemplateFiles(detail) = "{detail}",
    NoDashboardTemplate(name) = "no dashboard template {name}",

    // The alert centre and history.
    RangeChoice = "choose a range from 1m to 7d",
    ChooseTenant = "choose a tenant to search in",
    TooManyIds(max) = "at most {max} at a time",
    TooManyTokens(max) = "at most {max} search tokens",
    AlertStatus = "must be firing or resolved, or empty for both",
    UnknownTimeZone(name) = "unknown time zone {name}",
    ToBeforeFrom = "must not be before from",
    RangeTooLong(max) = "the range spans more than {max} days",
    ArchiveFailed = "could not write the history archive",
    JobRunning(job, status, run) = "{job} is {status} already (run {run})",
}

/// `text` with each `{param}` replaced by its argument; a placeholder without an argument, and
/// any brace that does not enclose a parameter name, stay as they are.
pub fn fill(text: &str, params: &[&str], args: &[String]) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let name = after.find('}').map(|close| &after[..close]);
        let arg = name.and_then(|n| {
            let i = params.iter().position(|p| *p == n)?;
            args.get(i).map(|a| (n.len(), a))
        });
        match arg {
            Some((len, a)) => {
                out.push_str(a);
                rest = &after[len + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// The `{name}` placeholders of a text that name one of `params`, in order of appearance.
pub fn placeholders<'a>(text: &str, params: &[&'a str]) -> Vec<&'a str> {
    params
        .iter()
        .filter(|p| text.contains(&format!("{{{p}}}")))
        .copied()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_replaces_parameters_and_keeps_other_braces() {
        let cases: [(&str, &[&str], &[&str], &str); 5] = [
            ("at most {max}", &["max"], &["63"], "at most 63"),
            ("{a}-{b}", &["a", "b"], &["1", "2"], "1-2"),
            ("{{ $value }}", &["action"], &["x"], "{{ $value }}"),
            ("{{{action}}} no", &["action"], &[" .x "], "{{ .x }} no"),
            ("{max} left", &["max"], &[], "{max} left"),
        ];
        for (text, params, args, want) in cases {
            let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
            assert_eq!(fill(text, params, &args), want, "{text}");
        }
    }

    #[test]
    fn an_argument_holding_braces_is_not_filled_again() {
        let args = ["{b}".to_string(), "x".to_string()];
        assert_eq!(fill("{a}{b}", &["a", "b"], &args), "{b}x");
    }

    #[test]
    fn every_parameter_appears_in_its_english_text() {
        for code in Code::ALL {
            let used = placeholders(code.english(), code.params());
            assert_eq!(used.len(), code.params().len(), "{code:?}");
        }
    }

    #[test]
    fn codes_serialise_in_snake_case_and_unknown_ones_are_kept_apart() {
        assert_eq!(
            serde_json::to_string(&Code::TooLong).unwrap(),
            "\"too_long\""
        );
        let c: Code = serde_json::from_str("\"from_a_newer_server\"").unwrap();
        assert_eq!(c, Code::Unknown);
    }
}
