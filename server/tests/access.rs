//! Login, throttling, roles, same-origin checks and tokens, against a real hub on both
//! store engines.
#![expect(clippy::unwrap_used, reason = "a test fails loudly on anything unexpected")]

mod common;

use app::api::audit::ListAudit;
use app::api::tokens::{CreateToken, RevokeToken};
use app::api::users::{CreateUser, ListUsers, ResetUserPassword, SetUserDisabled, SetUserRole};
use common::{TestHub, TestStore, ADMIN_PASSWORD};
use leptos::server_fn::ServerFn;

async fn login_sets_a_session(store: &TestStore) {
    let hub = TestHub::start(store).await;
    let client = TestHub::client();
    let anonymous = client.get(hub.url("/api/v1/me")).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(anonymous.json::<serde_json::Value>().await.unwrap()["error"], "unauthenticated");

    let res = hub.login(&client, "admin", ADMIN_PASSWORD).await;
    assert_eq!(res.status(), 200);
    let cookie = res.headers().get("set-cookie").unwrap().to_str().unwrap().to_string();
    assert!(cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"), "{cookie}");
    let me: serde_json::Value = client.get(hub.url("/api/v1/me")).send().await.unwrap().json().await.unwrap();
    assert_eq!(me, serde_json::json!({ "username": "admin", "role": "admin" }));

    let out = client.post(hub.url("/api/v1/logout")).send().await.unwrap();
    assert_eq!(out.status(), 204);
    assert_eq!(client.get(hub.url("/api/v1/me")).send().await.unwrap().status(), 401);
    hub.stop().await;
}
both_engines!(login_sets_a_session, login_sets_a_session);

async fn bad_password_is_401_then_throttled(store: &TestStore) {
    let hub = TestHub::start(store).await;
    let client = TestHub::client();
    for _ in 0..5 {
        let res = hub.login(&client, "admin", "wrong password").await;
        assert_eq!(res.status(), 401);
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["message"], "Wrong username or password.");
    }
    let res = hub.login(&client, "admin", ADMIN_PASSWORD).await;
    assert_eq!(res.status(), 429, "even the right password waits out the throttle");
    assert!(res.headers().get("retry-after").is_some());
    // An unknown user is refused the same way as a wrong password.
    let res = hub.login(&TestHub::client(), "nobody", "whatever pw").await;
    assert_eq!(res.status(), 401);
    hub.stop().await;
}
both_engines!(bad_password_is_401_then_throttled, bad_password_is_401_then_throttled);

/// Every state-changing server function refuses a caller without the role, and nothing
/// changes.
async fn roles_are_checked_on_every_change(store: &TestStore) {
    let hub = TestHub::start(store).await;
    let admin = hub.session("admin", ADMIN_PASSWORD).await;
    hub.create_user(&admin, "dev1", "dev1-password", "developer").await;
    hub.create_user(&admin, "lead1", "lead1-password", "lead").await;
    let dev = hub.session("dev1", "dev1-password").await;
    let lead = hub.session("lead1", "lead1-password").await;
    let anonymous = TestHub::client();

    let admin_only: [(&str, Vec<(&str, &str)>); 5] = [
        (
            CreateUser::PATH,
            vec![("username", "mallory"), ("password", "mallory-password"), ("role", "admin")],
        ),
        (SetUserRole::PATH, vec![("user_id", "2"), ("role", "admin")]),
        (SetUserDisabled::PATH, vec![("user_id", "1"), ("disabled", "true")]),
        (ResetUserPassword::PATH, vec![("user_id", "1"), ("password", "taken-over-pw")]),
        (ListUsers::PATH, vec![]),
    ];
    for (path, form) in &admin_only {
        for (who, client, status) in
            [("developer", &dev, 403), ("lead", &lead, 403), ("anonymous", &anonymous, 401)]
        {
            let res = client.post(hub.url(path)).form(form).send().await.unwrap();
            assert_eq!(res.status(), status, "{who} calling {path}");
        }
    }
    for path in [CreateToken::PATH, RevokeToken::PATH] {
        let res =
            anonymous.post(hub.url(path)).form(&[("name", "x"), ("token_id", "1")]).send().await.unwrap();
        assert_eq!(res.status(), 401, "anonymous calling {path}");
    }
    let res = dev.post(hub.url(ListAudit::PATH)).form::<[(&str, &str); 0]>(&[]).send().await.unwrap();
    assert_eq!(res.status(), 403, "a developer reading the audit log");
    let res = lead.post(hub.url(ListAudit::PATH)).form::<[(&str, &str); 0]>(&[]).send().await.unwrap();
    assert_eq!(res.status(), 200, "a lead reads the audit log");

    // Nothing changed: the admin still logs in with the old password, mallory does not exist.
    assert_eq!(hub.login(&TestHub::client(), "admin", ADMIN_PASSWORD).await.status(), 200);
    assert_eq!(hub.login(&TestHub::client(), "mallory", "mallory-password").await.status(), 401);
    hub.stop().await;
}
both_engines!(roles_are_checked_on_every_change, roles_are_checked_on_every_change);

async fn cross_origin_changes_are_refused(store: &TestStore) {
    let hub = TestHub::start(store).await;
    let client = TestHub::client();
    let evil = client
        .post(hub.url("/api/v1/login"))
        .header("origin", "http://evil.example")
        .json(&serde_json::json!({ "username": "admin", "password": ADMIN_PASSWORD }))
        .send()
        .await
        .unwrap();
    assert_eq!(evil.status(), 403);
    assert_eq!(client.get(hub.url("/api/v1/me")).send().await.unwrap().status(), 401, "no session was made");

    let admin = hub.session("admin", ADMIN_PASSWORD).await;
    let forged = admin
        .post(hub.url(CreateUser::PATH))
        .header("sec-fetch-site", "cross-site")
        .form(&[("username", "forged"), ("password", "forged-password"), ("role", "admin")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    let same = admin
        .post(hub.url(CreateUser::PATH))
        .header("origin", &hub.base)
        .header("sec-fetch-site", "same-origin")
        .form(&[("username", "genuine"), ("password", "genuine-password"), ("role", "viewer")])
        .send()
        .await
        .unwrap();
    assert_eq!(same.status(), 200);
    assert_eq!(hub.login(&TestHub::client(), "forged", "forged-password").await.status(), 401);
    hub.stop().await;
}
both_engines!(cross_origin_changes_are_refused, cross_origin_changes_are_refused);

async fn api_tokens_authenticate_until_revoked(store: &TestStore) {
    let hub = TestHub::start(store).await;
    let admin = hub.session("admin", ADMIN_PASSWORD).await;
    hub.create_user(&admin, "ci-bot", "ci-bot-password", "developer").await;
    let bot = hub.session("ci-bot", "ci-bot-password").await;
    let created: serde_json::Value =
        hub.call::<CreateToken>(&bot, &[("name", "deploy check")]).await.json().await.unwrap();
    let secret = created["secret"].as_str().unwrap().to_string();
    let id = created["token"]["id"].as_i64().unwrap().to_string();

    let plain = reqwest::Client::new();
    let me = |auth: String| plain.get(hub.url("/api/v1/me")).header("authorization", auth).send();
    let res = me(format!("Bearer {secret}")).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.json::<serde_json::Value>().await.unwrap()["username"], "ci-bot");
    assert_eq!(me("Bearer sbt_not_a_token".into()).await.unwrap().status(), 401);

    // A token cannot revoke someone else's token, and works until its owner revokes it.
    let res = hub.call::<RevokeToken>(&admin, &[("token_id", &id)]).await;
    assert_eq!(res.status(), 404);
    assert_eq!(me(format!("Bearer {secret}")).await.unwrap().status(), 200);
    let res = hub.call::<RevokeToken>(&bot, &[("token_id", &id)]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(me(format!("Bearer {secret}")).await.unwrap().status(), 401);
    hub.stop().await;
}
both_engines!(api_tokens_authenticate_until_revoked, api_tokens_authenticate_until_revoked);

async fn disabled_users_lose_their_session(store: &TestStore) {
    let hub = TestHub::start(store).await;
    let admin = hub.session("admin", ADMIN_PASSWORD).await;
    hub.create_user(&admin, "leaver", "leaver-password", "developer").await;
    let leaver = hub.session("leaver", "leaver-password").await;
    let users: serde_json::Value = hub.call::<ListUsers>(&admin, &[]).await.json().await.unwrap();
    let id = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "leaver")
        .map(|u| u["id"].as_i64().unwrap().to_string())
        .unwrap();
    let res = hub.call::<SetUserDisabled>(&admin, &[("user_id", &id), ("disabled", "true")]).await;
    assert_eq!(res.status(), 200);
    assert_eq!(leaver.get(hub.url("/api/v1/me")).send().await.unwrap().status(), 401);
    assert_eq!(hub.login(&TestHub::client(), "leaver", "leaver-password").await.status(), 401);

    // The last admin cannot be demoted or disabled.
    let res = hub.call::<SetUserRole>(&admin, &[("user_id", "1"), ("role", "viewer")]).await;
    assert_eq!(res.status(), 409);
    hub.stop().await;
}
both_engines!(disabled_users_lose_their_session, disabled_users_lose_their_session);
