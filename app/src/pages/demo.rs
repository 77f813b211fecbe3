use crate::api::demo::{demo_fleet, DeployDemoService, InjectDemoFault};
use crate::components::errors::{action_outcome, ErrorNote};
use crate::components::guard::RequireRole;
use crate::components::poll::refreshed;
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

/// The sizes the fault buttons use, set on the page.
#[derive(Clone, Copy)]
struct Sizes {
    error_pct: RwSignal<u32>,
    route: RwSignal<String>,
    user_group: RwSignal<String>,
    latency_ms: RwSignal<u64>,
    pool_seconds: RwSignal<u64>,
    slowdown_ms: RwSignal<u64>,
}

impl Sizes {
    fn new() -> Sizes {
        Sizes {
            error_pct: RwSignal::new(30),
            route: RwSignal::new(String::new()),
            user_group: RwSignal::new(String::new()),
            latency_ms: RwSignal::new(200),
            pool_seconds: RwSignal::new(60),
            slowdown_ms: RwSignal::new(100),
        }
    }
}

fn non_empty(s: String) -> Option<String> {
    Some(s).filter(|s| !s.is_empty())
}

/// A fault of the kind `which`, with the sizes as they are now.
#[derive(Clone, Copy)]
enum Which {
    Fixed(fn() -> DemoFault),
    Errors,
    Latency,
    Pool,
    Slowdown,
}

impl Which {
    fn fault(self, z: Sizes, tracked: bool) -> DemoFault {
        let read = |v: RwSignal<u64>| if tracked { v.get() } else { v.get_untracked() };
        let text = |v: RwSignal<String>| if tracked { v.get() } else { v.get_untracked() };
        match self {
            Which::Fixed(f) => f(),
            Which::Errors => DemoFault::Errors {
                ratio: f64::from(if tracked { z.error_pct.get() } else { z.error_pct.get_untracked() })
                    / 100.0,
                route: non_empty(text(z.route)),
                user_group: non_empty(text(z.user_group)),
            },
            Which::Latency => DemoFault::Latency { ms: read(z.latency_ms) },
            Which::Pool => DemoFault::PoolExhaustion { seconds: read(z.pool_seconds) },
            Which::Slowdown => DemoFault::Slowdown { ms: read(z.slowdown_ms) },
        }
    }
}

#[component]
fn DemoControls() -> impl IntoView {
    let apply = ServerAction::<InjectDemoFault>::new();
    let deploy = ServerAction::<DeployDemoService>::new();
    let fleet = Resource::new(|| (), |_| demo_fleet());
    let sizes = Sizes::new();
    view! {
        <h1>"Demo controls"</h1>
        <p class="lead">
            "Real faults in the demo fleet: each one changes what its services really do, and "
            "every use is written to the audit log."
        </p>
        {sizes_form(sizes)}
        {action_outcome(apply.value(), "Done.")}
        {action_outcome(deploy.value(), "Deployed: the service's page lists the deploy among its changes.")}
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || Suspend::new(async move {
                match fleet.await {
                    Ok(first) => {
                        // Refreshed every 3 s and after each fault, rebuilt only when it
                        // changed, so a button is not replaced under the pointer.
                        let (live, refresh_error) = refreshed(first, Duration::from_secs(3), move || {
                            apply.version().track();
                            deploy.version().track();
                            demo_fleet()
                        });
                        let list = Memo::new(move |_| live.get());
                        view! {
                            {move || refresh_error.get().map(|error| view! { <ErrorNote error/> })}
                            {move || fleet_table(list.get(), apply, sizes)}
                            {move || deploys(list.get(), deploy)}
                        }
                        .into_any()
                    }
                    Err(error) => view! { <ErrorNote error/> }.into_any(),
                }
            })}
        </Transition>
        <super::demo_alerts::DemoNotifications/>
    }
}

fn number_input<T>(
    label: &'static str,
    testid: &'static str,
    value: RwSignal<T>,
    min: u32,
    max: u32,
) -> impl IntoView
where
    T: std::str::FromStr + std::fmt::Display + Clone + Send + Sync + 'static,
{
    view! {
        <label>{label}
            <input type="number" min=min max=max data-testid=testid prop:value=move || value.get().to_string()
                on:input=move |ev| { if let Ok(v) = event_target_value(&ev).parse::<T>() { value.set(v); } }/>
        </label>
    }
}

fn sizes_form(z: Sizes) -> impl IntoView {
    let groups = ["", "retail", "pro", "institutional"]
        .map(|g| view! { <option value=g>{if g.is_empty() { "every user group" } else { g }}</option> })
        .collect_view();
    let routes = ["", "/orders/{id}", "/orders"]
        .map(|r| view! { <option value=r>{if r.is_empty() { "every route" } else { r }}</option> })
        .collect_view();
    view! {
        <section class="card" data-testid="fault-sizes">
            <h2>"Fault sizes"</h2>
            <div class="row">
                {number_input("Errors (%)", "size-errors", z.error_pct, 1, 100)}
                <label>"on route" <select data-testid="size-route" on:change=move |ev| z.route.set(event_target_value(&ev))>{routes}</select></label>
                <label>"for user group" <select data-testid="size-group" on:change=move |ev| z.user_group.set(event_target_value(&ev))>{groups}</select></label>
                {number_input("Latency (ms)", "size-latency", z.latency_ms, 1, 30_000)}
                {number_input("Pool held (s)", "size-pool", z.pool_seconds, 1, 600)}
                {number_input("Projector slowdown (ms)", "size-slowdown", z.slowdown_ms, 1, 10_000)}
            </div>
        </section>
    }
}

fn faults_for(service: &str) -> Vec<Which> {
    let mut faults = vec![
        Which::Fixed(|| DemoFault::HotSpot),
        Which::Fixed(|| DemoFault::Leak { mib_per_s: 4 }),
        Which::Fixed(|| DemoFault::BadMetrics { mode: "wrong_type".into() }),
        Which::Fixed(|| DemoFault::BadMetrics { mode: "drop_label".into() }),
    ];
    match service {
        // The services that answer requests (the BFF calls orders-api and quotes).
        "orders-api" | "quotes" | "portfolio-bff" => {
            faults.extend([Which::Errors, Which::Latency, Which::Pool])
        }
        "projector" => faults.extend([
            Which::Fixed(|| DemoFault::Pause),
            Which::Slowdown,
            Which::Fixed(|| DemoFault::Drift { rows: 5 }),
        ]),
        _ => {}
    }
    faults.push(Which::Fixed(|| DemoFault::Clear));
    faults
}

fn fleet_table(
    list: Vec<DemoInstanceView>,
    apply: ServerAction<InjectDemoFault>,
    sizes: Sizes,
) -> impl IntoView {
    let rows = list
        .into_iter()
        .map(|i| {
            let name = i.name.clone();
            let button = move |which: Which, class: &'static str| {
                let instance = name.clone();
                let stop = matches!(which.fault(sizes, false), DemoFault::Stop);
                view! {
                    <button class=class disabled=move || apply.pending().get()
                        on:click=move |_| {
                            // Stopping an instance takes it away from everyone watching it: ask first.
                            if stop && !window().confirm_with_message(&format!("Stop {instance}? Its service loses it until you start it again.")).unwrap_or(false) {
                                return;
                            }
                            apply.dispatch(InjectDemoFault { instance: instance.clone(), fault: which.fault(sizes, false) });
                        }>
                        {move || which.fault(sizes, true).label()}
                    </button>
                }
            };
            let active = i.chaos.as_ref().map(active_faults).unwrap_or_default();
            let lifecycle = if i.running {
                button(Which::Fixed(|| DemoFault::Stop), "danger")
            } else {
                button(Which::Fixed(|| DemoFault::Start), "")
            };
            let faults = if i.running {
                faults_for(&i.service).into_iter().map(|f| button(f, "secondary")).collect_view().into_any()
            } else {
                view! { <span class="muted">"stopped"</span> }.into_any()
            };
            view! {
                <tr data-instance=i.name.clone()>
                    <td><strong>{i.name.clone()}</strong><br/><span class="muted">{i.service.clone()} {i.version.clone().map(|v| format!(" · {v}"))}</span></td>
                    <td><span class=if i.running { "pill ok" } else { "pill bad" }>{if i.running { "running" } else { "stopped" }}</span></td>
                    <td>{if active.is_empty() { "none".to_string() } else { active.join(", ") }}</td>
                    <td><div class="actions">{lifecycle} " " {faults}</div></td>
                </tr>
            }
        })
        .collect_view();
    view! {
        <div class="table-scroll">
            <table class="grid" data-testid="demo-fleet">
                <thead><tr><th>"Instance"</th><th>"Process"</th><th>"Active faults"</th><th>"Inject"</th></tr></thead>
                <tbody>{rows}</tbody>
            </table>
        </div>
    }
}

/// The next patch version after `v` ("1.0.0" → "1.0.1"); "-next" appended when `v` does not
/// end in a number.
fn next_version(v: &str) -> String {
    match v.rsplit_once('.').and_then(|(head, last)| last.parse::<u64>().ok().map(|n| (head, n))) {
        Some((head, n)) => format!("{head}.{}", n + 1),
        None => format!("{v}-next"),
    }
}

/// A "deploy" of each demo service: its instances restart running the next version.
fn deploys(list: Vec<DemoInstanceView>, deploy: ServerAction<DeployDemoService>) -> impl IntoView {
    let mut services: Vec<(String, String)> = Vec::new();
    for i in &list {
        let v = i.version.clone().unwrap_or_else(|| "1.0.0".into());
        match services.iter_mut().find(|(s, _)| *s == i.service) {
            Some((_, seen)) if *seen < v => *seen = v,
            Some(_) => {}
            None => services.push((i.service.clone(), v)),
        }
    }
    let buttons = services
        .into_iter()
        .map(|(service, current)| {
            let next = next_version(&current);
            let (s, n) = (service.clone(), next.clone());
            view! {
                <button class="secondary" data-testid=format!("deploy-{service}") disabled=move || deploy.pending().get()
                    on:click=move |_| { deploy.dispatch(DeployDemoService { service: s.clone(), version: n.clone() }); }>
                    {format!("{service} {current} → {next}")}
                </button>
            }
        })
        .collect_view();
    view! {
        <section class="card" data-testid="demo-deploys">
            <h2>"Deploy"</h2>
            <p class="muted">"A deploy as the demo has them: the service's instances restart running the next version, one after the other, and the deploy is recorded as a change of the service (its page, its panels, its alerts and incidents show it)."</p>
            <div class="actions">{buttons}</div>
        </section>
    }
}

fn active_faults(c: &types::DemoChaos) -> Vec<String> {
    let mut out = Vec::new();
    if c.error_ratio > 0.0 {
        let mut errors = format!("errors {:.0}%", c.error_ratio * 100.0);
        if let Some(r) = &c.error_route {
            errors.push_str(&format!(" on {r}"));
        }
        if let Some(g) = &c.error_user_group {
            errors.push_str(&format!(" for {g}"));
        }
        out.push(errors);
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
