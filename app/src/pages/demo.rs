use crate::api::demo::{demo_fleet, InjectDemoFault};
use crate::components::errors::{action_outcome, ErrorNote};
use crate::components::guard::RequireRole;
use crate::components::poll::ticker;
use leptos::prelude::*;
use leptos_meta::Title;
use std::time::Duration;
use types::{DemoFault, DemoInstanceView, Role};

#[component]
pub fn DemoPage() -> impl IntoView {
    view! {
        <Title text="Demo controls"/>
        <RequireRole role=Role::Admin>
            <DemoControls/>
        </RequireRole>
    }
}

#[component]
fn DemoControls() -> impl IntoView {
    let apply = ServerAction::<InjectDemoFault>::new();
    let tick = ticker(Duration::from_secs(3));
    let fleet = Resource::new(move || (apply.version().get(), tick.get()), |_| demo_fleet());
    view! {
        <h1>"Demo controls"</h1>
        <p class="lead">
            "Real faults in the demo fleet: each one changes what its services really do, and "
            "every use is written to the audit log."
        </p>
        {action_outcome(apply.value(), "Done.")}
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match fleet.await {
                    Ok(list) => fleet_table(list, apply).into_any(),
                    Err(error) => view! { <ErrorNote error/> }.into_any(),
                }
            })}
        </Transition>
    }
}

fn faults_for(service: &str) -> Vec<DemoFault> {
    let mut faults = vec![
        DemoFault::HotSpot,
        DemoFault::Leak { mib_per_s: 4 },
        DemoFault::BadMetrics { mode: "wrong_type".into() },
        DemoFault::BadMetrics { mode: "drop_label".into() },
    ];
    match service {
        "orders-api" => faults.extend([
            DemoFault::Errors { ratio: 0.3 },
            DemoFault::Latency { ms: 200 },
            DemoFault::PoolExhaustion { seconds: 60 },
        ]),
        "projector" => {
            faults.extend([DemoFault::Pause, DemoFault::Slowdown { ms: 100 }, DemoFault::Drift { rows: 5 }])
        }
        _ => {}
    }
    faults.push(DemoFault::Clear);
    faults
}

fn fleet_table(list: Vec<DemoInstanceView>, apply: ServerAction<InjectDemoFault>) -> impl IntoView {
    let rows = list
        .into_iter()
        .map(|i| {
            let name = i.name.clone();
            let button = move |fault: DemoFault, class: &'static str| {
                let (instance, label) = (name.clone(), fault.label());
                view! {
                    <button class=class disabled=move || apply.pending().get()
                        on:click=move |_| { apply.dispatch(InjectDemoFault { instance: instance.clone(), fault: fault.clone() }); }>
                        {label}
                    </button>
                }
            };
            let active = i.chaos.as_ref().map(active_faults).unwrap_or_default();
            let lifecycle = if i.running { button(DemoFault::Stop, "danger") } else { button(DemoFault::Start, "") };
            let faults = if i.running {
                faults_for(&i.service).into_iter().map(|f| button(f, "secondary")).collect_view().into_any()
            } else {
                view! { <span class="muted">"stopped"</span> }.into_any()
            };
            view! {
                <tr data-instance=i.name.clone()>
                    <td><strong>{i.name.clone()}</strong><br/><span class="muted">{i.service.clone()}</span></td>
                    <td><span class=if i.running { "pill ok" } else { "pill bad" }>{if i.running { "running" } else { "stopped" }}</span></td>
                    <td>{if active.is_empty() { "none".to_string() } else { active.join(", ") }}</td>
                    <td><div class="actions">{lifecycle} " " {faults}</div></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <table class="grid" data-testid="demo-fleet">
            <thead><tr><th>"Instance"</th><th>"Process"</th><th>"Active faults"</th><th>"Inject"</th></tr></thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

fn active_faults(c: &types::DemoChaos) -> Vec<String> {
    let mut out = Vec::new();
    if c.error_ratio > 0.0 {
        out.push(format!("errors {:.0}%", c.error_ratio * 100.0));
    }
    if c.latency_ms > 0 {
        out.push(format!("latency {} ms", c.latency_ms));
    }
    if c.hot_spot {
        out.push("CPU hot spot".into());
    }
    if c.leak_mib_per_s > 0 {
        out.push(format!("leak {} MiB/s", c.leak_mib_per_s));
    }
    if c.paused {
        out.push("paused".into());
    }
    if let Some(mode) = &c.bad_metrics {
        out.push(format!("bad metrics ({})", mode.replace('_', " ")));
    }
    if c.slowdown_ms > 0 {
        out.push(format!("slowdown {} ms", c.slowdown_ms));
    }
    if c.pool_exhausted_s > 0 {
        out.push(format!("pool exhausted ({} s left)", c.pool_exhausted_s));
    }
    out
}
