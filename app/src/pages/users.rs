use crate::api::users::{list_users, CreateUser, ResetUserPassword, SetUserDisabled, SetUserRole};
use crate::components::errors::{action_outcome, ErrorNote};
use crate::components::guard::RequireRole;
use leptos::prelude::*;
use leptos_meta::Title;
use types::time::{format_ms, format_opt_ms};
use types::{Role, UserView};

#[component]
pub fn UsersPage() -> impl IntoView {
    view! {
        <Title text="Users"/>
        <RequireRole role=Role::Admin>
            <Users/>
        </RequireRole>
    }
}

#[derive(Clone, Copy)]
struct UserActions {
    role: ServerAction<SetUserRole>,
    disabled: ServerAction<SetUserDisabled>,
    password: ServerAction<ResetUserPassword>,
}

#[component]
fn Users() -> impl IntoView {
    let create = ServerAction::<CreateUser>::new();
    let actions = UserActions {
        role: ServerAction::new(),
        disabled: ServerAction::new(),
        password: ServerAction::new(),
    };
    let users = Resource::new(
        move || (create.version().get(), actions.role.version().get(), actions.disabled.version().get()),
        |_| list_users(),
    );
    view! {
        <h1>"Users"</h1>
        <section class="card">
            <h2>"New user"</h2>
            <ActionForm action=create attr:class="row" attr:data-testid="create-user">
                <label>"Username" <input name="username" required minlength="2" maxlength="64"/></label>
                <label>"Password" <input name="password" type="password" required minlength="10"/></label>
                <label>"Role" <RoleSelect name="role" selected=Role::Viewer/></label>
                <button type="submit">"Create user"</button>
            </ActionForm>
            {action_outcome(create.value(), "User created.")}
        </section>
        <section class="card">
            <h2>"All users"</h2>
            {action_outcome(actions.role.value(), "Role changed.")}
            {action_outcome(actions.disabled.value(), "Account updated.")}
            {action_outcome(actions.password.value(), "Password reset.")}
            <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || Suspend::new(async move {
                    match users.await {
                        Ok(list) => user_table(list, actions).into_any(),
                        Err(error) => view! { <ErrorNote error/> }.into_any(),
                    }
                })}
            </Transition>
        </section>
    }
}

#[component]
fn RoleSelect(
    name: &'static str,
    selected: Role,
    #[prop(optional)] on_pick: Option<Callback<Role>>,
) -> impl IntoView {
    let options = Role::ALL
        .into_iter()
        .map(|r| view! { <option value=r.as_str() selected=r == selected>{r.as_str()}</option> })
        .collect_view();
    view! {
        <select
            name=name
            on:change=move |ev| {
                if let (Some(cb), Ok(role)) = (on_pick, event_target_value(&ev).parse::<Role>()) {
                    cb.run(role);
                }
            }
        >
            {options}
        </select>
    }
}

fn user_table(list: Vec<UserView>, actions: UserActions) -> impl IntoView {
    let rows = list.into_iter().map(|u| user_row(u, actions)).collect_view();
    view! {
        <table class="grid" data-testid="users">
            <thead>
                <tr><th>"User"</th><th>"Role"</th><th>"Status"</th><th>"Created"</th><th>"Last login"</th><th>"Reset password"</th></tr>
            </thead>
            <tbody>{rows}</tbody>
        </table>
    }
}

fn user_row(u: UserView, actions: UserActions) -> impl IntoView {
    let id = u.id;
    let pick = Callback::new(move |role| {
        actions.role.dispatch(SetUserRole { user_id: id, role });
    });
    let toggle = move |_| {
        actions.disabled.dispatch(SetUserDisabled { user_id: id, disabled: !u.disabled });
    };
    view! {
        <tr class:revoked=u.disabled data-user=u.username.clone()>
            <td>{u.username.clone()}</td>
            <td><RoleSelect name="role" selected=u.role on_pick=pick/></td>
            <td>
                {if u.disabled { "disabled" } else { "active" }} " "
                <button class="link" on:click=toggle>{if u.disabled { "Enable" } else { "Disable" }}</button>
            </td>
            <td>{format_ms(u.created_ms)}</td>
            <td>{format_opt_ms(u.last_login_ms)}</td>
            <td>
                <ActionForm action=actions.password attr:class="inline">
                    <input type="hidden" name="user_id" value=id/>
                    <input type="password" name="password" placeholder="new password" required minlength="10"/>
                    <button type="submit">"Set"</button>
                </ActionForm>
            </td>
        </tr>
    }
}
