//! Import and export of KubeGems template files (system admins): pick files, preview what would
//! change, apply, and download the library as files.

use leptos::prelude::*;

use crate::api::templates::{ExportTemplates, ImportTemplates, TemplateFile};
use crate::model::ImportSummary;
use crate::ui::components::{ErrorNote, last_error};
use crate::ui::use_t;

#[component]
pub fn TemplateImportExport(
    /// Owned by the page, so the catalogue and lists reload after an import.
    import: ServerAction<ImportTemplates>,
) -> impl IntoView {
    let t = use_t();
    let files = RwSignal::new(Vec::<TemplateFile>::new());
    let export = ServerAction::<ExportTemplates>::new();
    let run = move |apply: bool| {
        import.dispatch(ImportTemplates {
            files: files.get_untracked(),
            apply,
        });
    };
    view! {
        <section class="panel" data-testid="template-import">
            <h2>{move || t().import_export}</h2>
            <label class="field wide">
                <span>{move || t().import_files}</span>
                <input type="file" multiple=true accept=".yaml,.yml" data-testid="import-files"
                    on:change=move |ev| read_files(ev, files) />
            </label>
            <p class="muted">{move || format!("{} {}", files.get().len(), t().files_chosen)}</p>
            <div class="actions">
                <button type="button" data-testid="import-preview" disabled=move || files.get().is_empty()
                    on:click=move |_| run(false)>{move || t().preview}</button>
                <button type="button" data-testid="import-apply" disabled=move || files.get().is_empty()
                    on:click=move |_| run(true)>{move || t().apply_import}</button>
                <button type="button" data-testid="export" on:click=move |_| { export.dispatch(ExportTemplates {}); }>
                    {move || t().export}
                </button>
            </div>
            <ErrorNote error=last_error(import.value()) />
            <ErrorNote error=last_error(export.value()) />
            {move || import.value().get().and_then(|r| r.ok()).map(summary_view)}
            {move || export.value().get().and_then(|r| r.ok()).map(|files| view! {
                <ul data-testid="export-files">
                    {files.into_iter().map(|f| {
                        let href = format!("data:text/yaml;charset=utf-8,{}", percent_encode(&f.text));
                        let name = f.path.replace('/', "_");
                        view! { <li><a href=href download=name>{f.path}</a></li> }
                    }).collect_view()}
                </ul>
            })}
        </section>
    }
}

fn summary_view(s: ImportSummary) -> impl IntoView {
    let t = use_t();
    let title = if s.applied {
        t().import_done
    } else {
        t().import_would
    };
    view! {
        <div data-testid="import-summary">
            <p class="ok">
                {title}": "{format!("{} {}, {} {}, {} {}", s.added.len(), t().added, s.updated.len(), t().updated, s.unchanged, t().unchanged)}
            </p>
            <details>
                <summary>{t().details}</summary>
                <ul>
                    {s.added.into_iter().map(|a| view! { <li>"+ "{a}</li> }).collect_view()}
                    {s.updated.into_iter().map(|u| view! { <li>"~ "{u}</li> }).collect_view()}
                </ul>
            </details>
            {(!s.warnings.is_empty()).then(|| view! {
                <div class="warning" data-testid="import-warnings">
                    <strong>{t().warnings}</strong>
                    <ul>{s.warnings.into_iter().map(|w| view! { <li>{w}</li> }).collect_view()}</ul>
                </div>
            })}
        </div>
    }
}

/// Encodes text for a `data:` URL.
fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Reads every chosen file's text; `dashboards/` is implied for files that are neither
/// `promql_tpl.yaml` nor `system_alert.yaml`.
#[cfg(feature = "hydrate")]
fn read_files(ev: leptos::ev::Event, target: RwSignal<Vec<TemplateFile>>) {
    use wasm_bindgen::JsCast;
    let Some(list) = ev
        .target()
        .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
        .and_then(|input| input.files())
    else {
        return;
    };
    let chosen: Vec<web_sys::File> = (0..list.length()).filter_map(|i| list.get(i)).collect();
    leptos::task::spawn_local(async move {
        let mut out = Vec::new();
        for file in chosen {
            if let Ok(text) = wasm_bindgen_futures::JsFuture::from(file.text()).await
                && let Some(text) = text.as_string()
            {
                let name = file.name();
                let path = match name.as_str() {
                    "promql_tpl.yaml" | "promql_tpl.yml" | "system_alert.yaml"
                    | "system_alert.yml" => name,
                    _ => format!("dashboards/{name}"),
                };
                out.push(TemplateFile { path, text });
            }
        }
        target.set(out);
    });
}

#[cfg(not(feature = "hydrate"))]
fn read_files(_: leptos::ev::Event, _: RwSignal<Vec<TemplateFile>>) {}
