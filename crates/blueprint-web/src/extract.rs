//! Who asks, about which engagement, as a handler's argument. A route that acts on engagement
//! `{id}` takes [`ApiEngagement`] (the JSON API's refusals) or [`PageEngagement`] (a page's:
//! to sign in, or an HTML refusal), typed by the permission it needs ([`ToRead`], [`ToAct`],
//! [`ToDecide`]); the one place that answers 401, 403 and 404 for them all.

use std::marker::PhantomData;
use std::ops::Deref;
use std::sync::Arc;

use axum::extract::{FromRequestParts, RawPathParams};
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::Response;

use crate::AppState;
use crate::access::{Permission, Principal};
use crate::auth::Session;
use crate::registry::{Entry, Registry};

/// The permission a route needs on its engagement.
pub trait Needs: Send + Sync + 'static {
    const PERMISSION: Permission;
}

/// See the engagement's pages, status, log and evidence.
pub enum ToRead {}
/// Attest, deploy, evaluate: changes the engagement.
pub enum ToAct {}
/// Record a phase decision.
pub enum ToDecide {}

impl Needs for ToRead {
    const PERMISSION: Permission = Permission::Read;
}
impl Needs for ToAct {
    const PERMISSION: Permission = Permission::Act;
}
impl Needs for ToDecide {
    const PERMISSION: Permission = Permission::Decide;
}

/// A signed-in person and an engagement they may act on as the route needs.
pub struct Engaged {
    pub session: Session,
    registry: Arc<Registry>,
    index: usize,
}

impl Engaged {
    pub fn entry(&self) -> &Entry {
        &self.registry.entries()[self.index]
    }

    pub fn principal(&self) -> &Principal {
        &self.session.principal
    }
}

/// The engagement `id` if `principal` may do `permission` on it: 404 when there is none, 403
/// when it is not the person's.
fn find(
    state: &AppState,
    principal: &Principal,
    id: &str,
    permission: Permission,
) -> Result<usize, StatusCode> {
    let index = state.registry.index_of(id).ok_or(StatusCode::NOT_FOUND)?;
    if !principal.may(permission, &state.registry.entries()[index]) {
        return Err(StatusCode::FORBIDDEN);
    }
    Ok(index)
}

/// The route's `{id}`: every engagement route names it so.
async fn engagement_id(parts: &mut Parts, state: &AppState) -> String {
    RawPathParams::from_request_parts(parts, state)
        .await
        .ok()
        .and_then(|params| {
            params
                .iter()
                .find(|(name, _)| *name == "id")
                .map(|(_, value)| value.to_string())
        })
        .unwrap_or_default()
}

fn engaged(state: &AppState, session: Session, index: usize) -> Engaged {
    Engaged {
        session,
        registry: state.registry.clone(),
        index,
    }
}

/// An engagement a JSON API call acts on: 401 without a session; 403 for a changing call
/// without the session's CSRF token in `X-CSRF-Token`, or when the person may not do what the
/// route needs; 404 when there is no such engagement.
pub struct ApiEngagement<N: Needs>(Engaged, PhantomData<N>);

impl<N: Needs> Deref for ApiEngagement<N> {
    type Target = Engaged;
    fn deref(&self) -> &Engaged {
        &self.0
    }
}

impl<N: Needs> FromRequestParts<AppState> for ApiEngagement<N> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let session = match N::PERMISSION {
            Permission::Read => crate::api::session(state, &parts.headers),
            Permission::Act | Permission::Decide => {
                crate::api::changing_session(state, &parts.headers)
            }
        }
        .map_err(|no| no.response())?;
        let id = engagement_id(parts, state).await;
        let index =
            find(state, &session.principal, &id, N::PERMISSION).map_err(crate::api::refusal)?;
        Ok(ApiEngagement(engaged(state, session, index), PhantomData))
    }
}

/// An engagement a page shows or a form changes: without a session, to sign in; 403 when the
/// person may not do what the route needs; 404 when there is no such engagement. A form's
/// CSRF token is in its body, which the route checks.
pub struct PageEngagement<N: Needs>(Engaged, PhantomData<N>);

impl<N: Needs> Deref for PageEngagement<N> {
    type Target = Engaged;
    fn deref(&self) -> &Engaged {
        &self.0
    }
}

impl<N: Needs> FromRequestParts<AppState> for PageEngagement<N> {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let session =
            crate::pages::signed_in(state, &parts.headers).ok_or_else(crate::pages::to_sign_in)?;
        let id = engagement_id(parts, state).await;
        let index =
            find(state, &session.principal, &id, N::PERMISSION).map_err(crate::pages::refusal)?;
        Ok(PageEngagement(engaged(state, session, index), PhantomData))
    }
}
